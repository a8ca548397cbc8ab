/**
 * Bounds-checked little-endian reading of TCG event log bytes. UEFI structures, and so the whole firmware event log,
 * are little-endian (TCG PC Client Platform Firmware Profile, PFP, §10.2: "all values are little-endian"), unlike
 * TPM command structures (marshal.ts). Running past the end is EW_ERR_EVENTLOG_TRUNCATED; a wrong value is
 * EW_ERR_EVENTLOG_PARSE; both name the offset.
 */
import { EdgewardError } from "../../errors/index.ts";

/** A cursor over untrusted event log bytes. */
export class LeReader {
  readonly #buf: Buffer;
  #at: number;

  constructor(bytes: Uint8Array, offset = 0) {
    // A Buffer view over the same memory: its readUInt*LE are the little-endian reads UEFI needs.
    this.#buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#at = offset;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#buf.length - this.#at;
  }

  u8(): number {
    return this.#buf.readUInt8(this.#take(1));
  }

  u16(): number {
    return this.#buf.readUInt16LE(this.#take(2));
  }

  u32(): number {
    return this.#buf.readUInt32LE(this.#take(4));
  }

  /** A UINT64 that must fit in a safe integer (sizes inside one log always do). */
  u64(): number {
    const v = this.#buf.readBigUInt64LE(this.#take(8));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`a 64-bit size of ${v} is larger than any log`);
    return Number(v);
  }

  /** `n` bytes, as a view into the log (the log buffer is never written). */
  bytes(n: number): Uint8Array {
    const at = this.#take(n);
    return new Uint8Array(this.#buf.buffer, this.#buf.byteOffset + at, n);
  }

  /** Throws EW_ERR_EVENTLOG_PARSE naming the offset. */
  fail(reason: string): never {
    throw new EdgewardError("EW_ERR_EVENTLOG_PARSE", { detail: `at offset ${this.#at}: ${reason}` });
  }

  /** Advances past `n` bytes and returns where they start; EW_ERR_EVENTLOG_TRUNCATED when fewer are left. */
  #take(n: number): number {
    if (n > this.remaining)
      throw new EdgewardError("EW_ERR_EVENTLOG_TRUNCATED", {
        detail: `at offset ${this.#at}: needs ${n} bytes, ${this.remaining} left`,
      });
    const at = this.#at;
    this.#at += n;
    return at;
  }
}

/** Formats 16 bytes as an EFI_GUID string: the first three fields are little-endian (UEFI spec, Appendix A). */
export function guidString(b: Uint8Array): string {
  const h = (from: number, to: number, le: boolean): string => {
    const part = Array.from(b.subarray(from, to));
    return Buffer.from(le ? part.reverse() : part).toString("hex");
  };
  return `${h(0, 4, true)}-${h(4, 6, true)}-${h(6, 8, true)}-${h(8, 10, false)}-${h(10, 16, false)}`;
}
