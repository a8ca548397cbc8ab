/**
 * The first event of a crypto-agile log: a TCG_PCClientPCREvent in the SHA-1 log format (PFP §10.2.1) whose data
 * is a TCG_EfiSpecIDEvent (PFP §10.4.5.1, "Specification ID Version Event"). It names the digest algorithms, and
 * their sizes, that every later TCG_PCR_EVENT2 carries.
 */
import { hashByAlg, TPM_ALG } from "../constants.ts";
import { EV } from "./event-types.ts";
import { LeReader } from "./le-reader.ts";
import { EdgewardError } from "../../errors/index.ts";

/** One algorithm of the log: a TPM_ALG_ID and its digest size (TCG_EfiSpecIdEventAlgorithmSize). */
export interface EventLogAlgorithm {
  readonly alg: number;
  /** The tpm2-tools bank name (`sha256`), or `alg_0x12` for one Edgeward does not replay. */
  readonly bank: string;
  readonly size: number;
}

/** The decoded Spec ID event. */
export interface SpecIdEvent {
  readonly platformClass: number;
  readonly specVersion: { readonly major: number; readonly minor: number; readonly errata: number };
  readonly uintnSize: number;
  readonly algorithms: readonly EventLogAlgorithm[];
  readonly vendorInfo: Uint8Array;
}

// "Spec ID Event03\0" (PFP §10.4.5.1); "Spec ID Event00"/"02" mark the SHA-1-only TPM 1.2 format.
const SIGNATURE_03 = "Spec ID Event03\0";
const SIGNATURE_PREFIX = "Spec ID Event0";
const MAX_ALGORITHMS = 16;
// Digest sizes of algorithms the TCG Algorithm Registry defines for PCR banks but Edgeward does not replay.
const OTHER_SIZES = new Map<number, number>([
  [TPM_ALG.SM3_256, 32],
  [0x0027, 32], // TPM_ALG_SHA3_256
  [0x0028, 48], // TPM_ALG_SHA3_384
  [0x0029, 64], // TPM_ALG_SHA3_512
]);

/** Reads the header event at the start of `r`; EW_ERR_EVENTLOG_UNSUPPORTED for a log that is not crypto-agile. */
export function readSpecIdEvent(r: LeReader): SpecIdEvent {
  // TCG_PCClientPCREvent (PFP §10.2.1): pcrIndex, eventType, a SHA-1 digest, eventDataSize, event.
  const pcr = r.u32();
  const type = r.u32();
  const digest = r.bytes(20);
  const size = r.u32();
  const data = new LeReader(r.bytes(size));
  const signature = Buffer.from(data.bytes(Math.min(16, data.remaining))).toString("latin1");
  if (type !== EV.NO_ACTION || !signature.startsWith(SIGNATURE_PREFIX))
    throw new EdgewardError("EW_ERR_EVENTLOG_UNSUPPORTED", { detail: "the first event is not a Spec ID event" });
  if (signature !== SIGNATURE_03)
    throw new EdgewardError("EW_ERR_EVENTLOG_UNSUPPORTED", { detail: `header ${JSON.stringify(signature)}` });
  // PFP §10.4.5.1: the header event is PCR 0, EV_NO_ACTION, with a digest of zeros.
  if (pcr !== 0 || digest.some((b) => b !== 0)) r.fail("the Spec ID event must be PCR 0 with a zero digest");
  const platformClass = data.u32();
  const minor = data.u8();
  const major = data.u8();
  const errata = data.u8();
  const uintnSize = data.u8();
  // PFP §10.4.5.1: specVersionMajor 2 for TPM 2.0; uintnSize 1 (32-bit UINTN) or 2 (64-bit).
  if (major !== 2) data.fail(`specVersionMajor ${major}, expected 2`);
  if (uintnSize !== 1 && uintnSize !== 2) data.fail(`uintnSize ${uintnSize}`);
  const count = data.u32();
  if (count === 0 || count > MAX_ALGORITHMS) data.fail(`numberOfAlgorithms ${count}`);
  const algorithms: EventLogAlgorithm[] = [];
  for (let i = 0; i < count; i++) {
    const alg = data.u16();
    const algSize = data.u16();
    const known = hashByAlg(alg);
    const expected = known?.size ?? OTHER_SIZES.get(alg);
    if (expected === undefined) data.fail(`unknown digest algorithm 0x${alg.toString(16)}`);
    if (algSize !== expected) data.fail(`algorithm 0x${alg.toString(16)} with digest size ${algSize}`);
    if (algorithms.some((a) => a.alg === alg)) data.fail(`algorithm 0x${alg.toString(16)} listed twice`);
    algorithms.push({ alg, bank: known?.name ?? `alg_0x${alg.toString(16)}`, size: algSize });
  }
  const vendorInfo = data.bytes(data.u8());
  if (data.remaining !== 0) data.fail(`${data.remaining} bytes after the Spec ID event's vendorInfo`);
  return { platformClass, specVersion: { major, minor, errata }, uintnSize, algorithms, vendorInfo };
}
