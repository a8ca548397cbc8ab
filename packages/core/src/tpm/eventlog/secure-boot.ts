/**
 * Secure Boot as the event log proves it (ARCHITECTURE.md promise 2). The firmware measures the SecureBoot, PK,
 * KEK, db and dbx variables into PCR 7 as EV_EFI_VARIABLE_DRIVER_CONFIG events (TCG PC Client Platform Firmware
 * Profile, PFP, §3.3.4.8; §10.4.4), each event's digest the hash of its UEFI_VARIABLE_DATA. The log is worth what
 * the quote is: {@link checkSecureBoot} accepts it only when its replayed PCR 7 equals the PCR 7 the TPM quoted and
 * each decoded variable hashes to the digest that was extended.
 */
import { createHash } from "node:crypto";
import { EdgewardError } from "../../errors/index.ts";
import { hashByName, type PcrBank } from "../constants.ts";
import { bytesEqual } from "../marshal.ts";
import type { PcrValues } from "../pcr-values.ts";
import {
  EFI_GLOBAL_VARIABLE,
  EFI_IMAGE_SECURITY_DATABASE,
  parseEfiVariable,
  summarizeSignatureDb,
  type SignatureDbSummary,
} from "./efi-variable.ts";
import { EV } from "./event-types.ts";
import { parseEventLog, type EventLog, type TcgEvent } from "./parse.ts";
import { replayEventLog } from "./replay.ts";

/** The Secure Boot configuration a log records. */
export interface SecureBootState {
  /** true: SecureBoot is 1; false: 0 or empty; null: the log never measured the variable. */
  readonly enabled: boolean | null;
  /** The signature databases measured, by name. */
  readonly databases: Readonly<Partial<Record<"PK" | "KEK" | "db" | "dbx", SignatureDbSummary>>>;
}

const DATABASES = new Map([
  [`${EFI_GLOBAL_VARIABLE}/PK`, "PK"],
  [`${EFI_GLOBAL_VARIABLE}/KEK`, "KEK"],
  [`${EFI_IMAGE_SECURITY_DATABASE}/db`, "db"],
  [`${EFI_IMAGE_SECURITY_DATABASE}/dbx`, "dbx"],
] as const);

/**
 * Reads the Secure Boot configuration from the PCR 7 EV_EFI_VARIABLE_DRIVER_CONFIG events of `log`. Each event's
 * data must hash to its digest in every bank Edgeward can compute (EW_ERR_EVENTLOG_DIGEST otherwise): an edited
 * variable would otherwise still replay to the quoted PCR 7.
 */
export function secureBootState(log: EventLog): SecureBootState {
  const values: boolean[] = [];
  const databases: Partial<Record<"PK" | "KEK" | "db" | "dbx", SignatureDbSummary>> = {};
  for (const event of log.events) {
    if (event.type !== EV.EFI_VARIABLE_DRIVER_CONFIG || event.pcr !== 7) continue;
    checkEventDigests(event);
    const v = parseEfiVariable(event.data);
    const key = `${v.guid}/${v.name}`;
    // UEFI 2.10 §3.3: SecureBoot is one byte, 1 when the platform enforces signatures; empty when not supported.
    if (key === `${EFI_GLOBAL_VARIABLE}/SecureBoot`) values.push(v.data.length === 1 && v.data[0] === 1);
    const db = DATABASES.get(key as never);
    if (db !== undefined) databases[db] = summarizeSignatureDb(v.data);
  }
  // Two measurements that disagree are treated as disabled: the weaker claim wins.
  return { enabled: values.length === 0 ? null : values.every(Boolean), databases };
}

/** Input of {@link checkSecureBoot}. */
export interface CheckSecureBootInput {
  /** The event log bytes the device sent with its quote (or a log already parsed). */
  readonly eventLog: Uint8Array | EventLog;
  /** PCR values whose digest the quote signed (verifyQuote checked them against the quote). */
  readonly quotedPcrs: PcrValues;
  /** The bank to compare; default sha256. */
  readonly bank?: PcrBank;
}

/** What a passing {@link checkSecureBoot} established. */
export interface SecureBootEvidence {
  readonly bank: PcrBank;
  readonly pcr7: Uint8Array;
  readonly state: SecureBootState;
}

/**
 * The `secureBoot: required` policy for the hub: passes only when the log replays to the quoted PCR 7 and shows
 * SecureBoot enabled. Fails with EW_ERR_EVENTLOG_BANK_MISSING, EW_ERR_EVENTLOG_REPLAY_MISMATCH,
 * EW_ERR_EVENTLOG_DIGEST, EW_ERR_SECURE_BOOT_OFF, or a parse error of the log.
 */
export function checkSecureBoot(input: CheckSecureBootInput): SecureBootEvidence {
  const bank = input.bank ?? "sha256";
  const log = input.eventLog instanceof Uint8Array ? parseEventLog(input.eventLog) : input.eventLog;
  const quoted = input.quotedPcrs[bank]?.[7];
  if (quoted === undefined) throw new EdgewardError("EW_ERR_EVENTLOG_BANK_MISSING", { detail: `quoted ${bank}:7` });
  const replayed = replayEventLog(log)[bank]?.[7];
  if (replayed === undefined) throw new EdgewardError("EW_ERR_EVENTLOG_BANK_MISSING", { detail: `log ${bank}:7` });
  if (!bytesEqual(replayed, quoted))
    throw new EdgewardError("EW_ERR_EVENTLOG_REPLAY_MISMATCH", {
      detail: `${bank}:7 replays to ${Buffer.from(replayed).toString("hex")}`,
    });
  const state = secureBootState(log);
  if (state.enabled !== true)
    throw new EdgewardError("EW_ERR_SECURE_BOOT_OFF", {
      detail: state.enabled === null ? "the log never measured SecureBoot" : "SecureBoot is 0",
    });
  return { bank, pcr7: replayed, state };
}

function checkEventDigests(event: TcgEvent): void {
  for (const d of event.digests) {
    const hash = hashByName(d.bank);
    if (hash === undefined) continue;
    if (!bytesEqual(createHash(hash.name).update(event.data).digest(), d.digest))
      throw new EdgewardError("EW_ERR_EVENTLOG_DIGEST", { detail: `event ${event.index} (${d.bank})` });
  }
}
