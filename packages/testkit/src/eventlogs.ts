import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

/**
 * The real TCG firmware event logs shared by the parser's, the audit's and the CLI's tests and by the benchmarks,
 * with the PCRs tpm2_eventlog printed for each (`expected-pcrs.json`); where each came from is in `SOURCES.md`.
 * Ends with a slash.
 */
export const EVENTLOG_FIXTURES = fileURLToPath(new URL("../fixtures/eventlog/", import.meta.url));

/** One event for {@link buildLog}: its digest in each bank is the hash of `data` unless `digest` is given. */
export interface BuiltEvent {
  pcr: number;
  type: number;
  data: Uint8Array;
  digest?: Uint8Array;
}

const ALGS: Record<string, { alg: number; size: number }> = {
  sha1: { alg: 0x0004, size: 20 },
  sha256: { alg: 0x000b, size: 32 },
  sha384: { alg: 0x000c, size: 48 },
};

/**
 * Writes a crypto-agile event log (TCG PC Client PFP §10.2.1 header with a §10.4.5.1 Spec ID event, then §10.2.2
 * TCG_PCR_EVENT2 records), little-endian, for tests of cases no real fixture has (a Startup Locality event, a log
 * that never measures SecureBoot).
 */
export function buildLog(banks: readonly string[], events: readonly BuiltEvent[]): Uint8Array {
  const parts: Buffer[] = [];
  const spec = Buffer.concat([
    Buffer.from("Spec ID Event03\0", "latin1"),
    u32(0),
    Buffer.from([0, 2, 0, 2]), // specVersionMinor 0, Major 2, errata 0, uintnSize 2
    u32(banks.length),
    ...banks.map((b) => Buffer.concat([u16(ALGS[b]!.alg), u16(ALGS[b]!.size)])),
    Buffer.from([0]), // vendorInfoSize
  ]);
  parts.push(u32(0), u32(3), Buffer.alloc(20), u32(spec.length), spec);
  for (const e of events) {
    parts.push(u32(e.pcr), u32(e.type), u32(banks.length));
    for (const b of banks) {
      const digest = e.digest ?? (e.type === 3 ? Buffer.alloc(ALGS[b]!.size) : createHash(b).update(e.data).digest());
      parts.push(u16(ALGS[b]!.alg), Buffer.from(digest));
    }
    parts.push(u32(e.data.length), Buffer.from(e.data));
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** A UEFI_VARIABLE_DATA (PFP §10.4.4) for `name` under `guid` (16 raw bytes) with `data`. */
export function variableData(guid: Uint8Array, name: string, data: Uint8Array): Uint8Array {
  const n = Buffer.from(name, "utf16le");
  return new Uint8Array(Buffer.concat([guid, u64(name.length), u64(data.length), n, data]));
}

/** EFI_GLOBAL_VARIABLE 8be4df61-93ca-11d2-aa0d-00e098032b8c as its 16 bytes on the wire. */
export const EFI_GLOBAL_GUID_BYTES = new Uint8Array(Buffer.from("61dfe48bca93d211aa0d00e098032b8c", "hex"));

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}
function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
function u64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
}
