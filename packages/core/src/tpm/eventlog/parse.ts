/**
 * The TCG PC Client firmware event log in the crypto-agile format (TCG PC Client Platform Firmware Profile, PFP,
 * §10.2): the Spec ID header event, then TCG_PCR_EVENT2 records, each with one digest per PCR bank. This is the
 * file Linux exposes as /sys/kernel/security/tpm0/binary_bios_measurements.
 *
 * The log comes from the device, so it is untrusted: every malformed byte fails closed with a typed error
 * (EW_ERR_EVENTLOG_PARSE, _TRUNCATED, _UNSUPPORTED) and nothing is returned from a log that did not parse whole.
 */
import { PCR_COUNT } from "../constants.ts";
import { eventTypeName } from "./event-types.ts";
import { LeReader } from "./le-reader.ts";
import { readSpecIdEvent, type EventLogAlgorithm, type SpecIdEvent } from "./spec-id.ts";
import { EdgewardError } from "../../errors/index.ts";

/** One digest of an event, in one bank. */
export interface EventDigest {
  readonly alg: number;
  readonly bank: string;
  readonly digest: Uint8Array;
}

/** One TCG_PCR_EVENT2 (PFP §10.2.2). */
export interface TcgEvent {
  /** Position in the log; the Spec ID header is event 0, as tpm2_eventlog numbers them. */
  readonly index: number;
  readonly pcr: number;
  readonly type: number;
  readonly typeName: string;
  readonly digests: readonly EventDigest[];
  readonly data: Uint8Array;
}

/** A parsed event log. */
export interface EventLog {
  readonly specId: SpecIdEvent;
  readonly events: readonly TcgEvent[];
}

/** Limits that bound the work one log can cause. Real logs are tens of kilobytes with a few hundred events. */
export const EVENTLOG_LIMITS = { maxBytes: 16 * 1024 * 1024, maxEvents: 100_000, maxEventBytes: 4 * 1024 * 1024 };

/** Parses a whole crypto-agile event log. */
export function parseEventLog(bytes: Uint8Array): EventLog {
  if (bytes.length > EVENTLOG_LIMITS.maxBytes)
    throw new EdgewardError("EW_ERR_INPUT_TOO_LARGE", { detail: `event log of ${bytes.length} bytes` });
  const r = new LeReader(bytes);
  const specId = readSpecIdEvent(r);
  const byAlg = new Map(specId.algorithms.map((a) => [a.alg, a]));
  const events: TcgEvent[] = [];
  while (r.remaining > 0) {
    if (events.length >= EVENTLOG_LIMITS.maxEvents) r.fail(`more than ${EVENTLOG_LIMITS.maxEvents} events`);
    events.push(readEvent2(r, events.length + 1, byAlg));
  }
  return { specId, events };
}

// TCG_PCR_EVENT2 (PFP §10.2.2): pcrIndex UINT32, eventType UINT32, digests TPML_DIGEST_VALUES, eventSize UINT32,
// event[eventSize]. TPML_DIGEST_VALUES here is a UINT32 count of TPMT_HA {hashAlg UINT16, digest[size of hashAlg]},
// the sizes taken from the Spec ID event (PFP §10.4.5.1), little-endian like the rest of the log.
function readEvent2(r: LeReader, index: number, byAlg: ReadonlyMap<number, EventLogAlgorithm>): TcgEvent {
  const pcr = r.u32();
  const type = r.u32();
  // PCRs 0-23 exist on a PC Client TPM (PC Client Platform TPM Profile §4.6).
  if (pcr >= PCR_COUNT) r.fail(`event ${index}: PCR index ${pcr}`);
  const count = r.u32();
  // PFP §10.2.2: every event carries a digest for each algorithm the Spec ID event lists, and no other.
  if (count !== byAlg.size) r.fail(`event ${index}: ${count} digests, the header lists ${byAlg.size} algorithms`);
  const digests: EventDigest[] = [];
  for (let i = 0; i < count; i++) {
    const alg = r.u16();
    const spec = byAlg.get(alg);
    if (spec === undefined) r.fail(`event ${index}: algorithm 0x${alg.toString(16)} is not in the header`);
    if (digests.some((d) => d.alg === alg)) r.fail(`event ${index}: algorithm 0x${alg.toString(16)} twice`);
    digests.push({ alg, bank: spec.bank, digest: r.bytes(spec.size) });
  }
  const size = r.u32();
  if (size > EVENTLOG_LIMITS.maxEventBytes) r.fail(`event ${index}: event data of ${size} bytes`);
  const data = r.bytes(size);
  return { index, pcr, type, typeName: eventTypeName(type), digests, data };
}
