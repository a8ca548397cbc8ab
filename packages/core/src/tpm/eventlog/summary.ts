/**
 * What an event log says, as plain JSON (the `edgeward tpm eventlog --json` output and the audit's evidence): the
 * replayed PCR values per bank in hex, the Secure Boot state, and each event with its digests and, for UEFI
 * variable events (PFP §10.4.4), the variable it measured.
 */
import type { PcrValues } from "../pcr-values.ts";
import { parseEfiVariable, summarizeSignatureDb, type SignatureDbSummary } from "./efi-variable.ts";
import { EV } from "./event-types.ts";
import type { EventLog, TcgEvent } from "./parse.ts";
import { replayEventLog } from "./replay.ts";
import { secureBootState, type SecureBootState } from "./secure-boot.ts";

/** One event in JSON form. */
export interface EventSummary {
  readonly index: number;
  readonly pcr: number;
  readonly type: string;
  readonly digests: Readonly<Record<string, string>>;
  readonly size: number;
  readonly variable?: {
    readonly guid: string;
    readonly name: string;
    readonly value?: string;
    readonly signatures?: SignatureDbSummary;
  };
}

/** The whole log in JSON form. */
export interface EventLogSummary {
  readonly pcrs: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly secureBoot: boolean | null;
  readonly databases: SecureBootState["databases"];
  readonly events: readonly EventSummary[];
}

const VARIABLE_EVENTS = new Set<number>([EV.EFI_VARIABLE_DRIVER_CONFIG, EV.EFI_VARIABLE_BOOT, EV.EFI_VARIABLE_BOOT2]);
const DATABASES = new Set(["PK", "KEK", "db", "dbx"]);

/** Replays `log`, reads its Secure Boot state (checking the PCR 7 variable digests) and lists its events. */
export function summarizeEventLog(log: EventLog): EventLogSummary {
  const state = secureBootState(log);
  return {
    pcrs: pcrsToHex(replayEventLog(log)),
    secureBoot: state.enabled,
    databases: state.databases,
    events: log.events.map(summarizeEvent),
  };
}

/** PCR values as `{bank: {index: hex}}`. */
export function pcrsToHex(values: PcrValues): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [bank, pcrs] of Object.entries(values)) {
    const b: Record<string, string> = {};
    for (const [i, v] of Object.entries(pcrs ?? {})) b[i] = hex(v);
    out[bank] = b;
  }
  return out;
}

function summarizeEvent(e: TcgEvent): EventSummary {
  const digests: Record<string, string> = {};
  for (const d of e.digests) digests[d.bank] = hex(d.digest);
  const base = { index: e.index, pcr: e.pcr, type: e.typeName, digests, size: e.data.length };
  if (!VARIABLE_EVENTS.has(e.type)) return base;
  const v = parseEfiVariable(e.data);
  const signatures = e.type === EV.EFI_VARIABLE_DRIVER_CONFIG && DATABASES.has(v.name);
  return {
    ...base,
    variable: {
      guid: v.guid,
      name: v.name,
      ...(signatures ? { signatures: summarizeSignatureDb(v.data) } : { value: hex(v.data.subarray(0, 64)) }),
    },
  };
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}
