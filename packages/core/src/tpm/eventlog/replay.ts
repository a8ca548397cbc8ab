/**
 * Replays a parsed event log into the PCR values it claims: each measured event extends its PCR in each bank,
 * PCR := H(PCR ‖ digest) (TPM 2.0 Part 1 §17.7, "PCR Extend"). The result is compared with quoted PCR values by
 * the caller; a log is worth only as much as that comparison.
 */
import { createHash } from "node:crypto";
import { hashByName, type PcrBank } from "../constants.ts";
import type { PcrValues } from "../pcr-values.ts";
import { EV } from "./event-types.ts";
import type { EventLog, TcgEvent } from "./parse.ts";

// PFP §10.4.5.3 "Startup Locality Event": an EV_NO_ACTION event on PCR 0 whose data is the signature
// "StartupLocality\0" and one byte, the locality TPM2_Startup ran from; PCR 0 then starts as 0…0 ‖ locality.
const STARTUP_LOCALITY = Buffer.from("StartupLocality\0", "latin1");

/**
 * The PCR values per bank after every event of `log`, for the PCRs the log extends (as tpm2_eventlog prints them).
 * Banks of algorithms Edgeward has no hash for (SM3, SHA-3) are left out.
 */
export function replayEventLog(log: EventLog): PcrValues {
  const locality = startupLocality(log.events);
  const out: Partial<Record<PcrBank, Record<number, Uint8Array>>> = {};
  for (const { bank } of log.specId.algorithms) {
    const hash = hashByName(bank);
    if (hash === undefined) continue;
    const pcrs: Record<number, Uint8Array> = {};
    for (const event of log.events) {
      // PFP §10.4.5: EV_NO_ACTION events are informational and never extended into a PCR.
      if (event.type === EV.NO_ACTION) continue;
      const digest = event.digests.find((d) => d.bank === bank)?.digest;
      if (digest === undefined) continue; // parse.ts requires one per bank; kept total for hand-built logs
      const before = pcrs[event.pcr] ?? initialValue(event.pcr, hash.size, locality);
      pcrs[event.pcr] = createHash(hash.name).update(before).update(digest).digest();
    }
    out[hash.name] = pcrs;
  }
  return out;
}

/**
 * The locality PCR 0 starts from: 4 after an H-CRTM sequence (an EV_EFI_HCRTM_EVENT on PCR 0; TPM 2.0 Part 1
 * §34.3), else the one a Startup Locality event names, else 0.
 */
export function startupLocality(events: readonly TcgEvent[]): number {
  if (events.some((e) => e.type === EV.EFI_HCRTM_EVENT && e.pcr === 0)) return 4;
  for (const e of events) {
    if (e.type !== EV.NO_ACTION || e.pcr !== 0 || e.data.length !== STARTUP_LOCALITY.length + 1) continue;
    if (STARTUP_LOCALITY.equals(e.data.subarray(0, STARTUP_LOCALITY.length))) return e.data[STARTUP_LOCALITY.length]!;
  }
  return 0;
}

// A PC Client TPM resets PCRs 0-16 and 23 to zeros (PC Client Platform TPM Profile §4.6); PCR 0 takes the startup
// locality in its last byte (PFP §10.4.5.3). PCRs 17-22 reset to all ones and are extended only by a dynamic
// launch, which this static-root log does not describe.
function initialValue(pcr: number, size: number, locality: number): Uint8Array {
  const v = new Uint8Array(size);
  if (pcr >= 17 && pcr <= 22) v.fill(0xff);
  if (pcr === 0) v[size - 1] = locality;
  return v;
}
