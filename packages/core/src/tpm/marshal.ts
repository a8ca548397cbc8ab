/**
 * Bounds-checked big-endian reading and writing of TPM 2.0 wire structures (TPM 2.0 Part 1 §18, "Marshalling").
 * Every read that would run past the end throws EW_ERR_TPM_PARSE: parsers built on this fail closed.
 */
import { EdgewardError } from "../errors/index.ts";

/** A cursor over untrusted TPM bytes. */
export class TpmReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #what: string;
  #offset = 0;

  /** `what` names the structure in error details (`TPMS_ATTEST`). */
  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  /** The current offset, for slicing the raw bytes of a sub-structure. */
  get offset(): number {
    return this.#offset;
  }

  u8(): number {
    this.#need(1);
    return this.#view.getUint8(this.#offset++);
  }

  u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.#offset);
    this.#offset += 2;
    return v;
  }

  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return v;
  }

  u64(): bigint {
    this.#need(8);
    const v = this.#view.getBigUint64(this.#offset);
    this.#offset += 8;
    return v;
  }

  /** `n` raw bytes (a copy, so callers may keep it). */
  bytes(n: number): Uint8Array {
    this.#need(n);
    const out = this.#bytes.slice(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  /** A TPM2B_*: a 16-bit size then that many bytes (Part 2 §10.4), at most `max` bytes. */
  tpm2b(max = 0xffff, field = "TPM2B"): Uint8Array {
    const size = this.u16();
    if (size > max) this.fail(`${field} of ${size} bytes exceeds ${max}`);
    return this.bytes(size);
  }

  /** The raw bytes between two offsets already read. */
  slice(start: number, end: number): Uint8Array {
    return this.#bytes.slice(start, end);
  }

  /** Fails unless every byte was consumed: trailing data is never ignored. */
  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} trailing bytes`);
  }

  /** Throws EW_ERR_TPM_PARSE naming the structure and offset. */
  fail(reason: string): never {
    throw new EdgewardError("EW_ERR_TPM_PARSE", { detail: `${this.#what} at offset ${this.#offset}: ${reason}` });
  }

  #need(n: number): void {
    if (this.#offset + n > this.#bytes.length) this.fail(`truncated (needs ${n} more bytes)`);
  }
}

/** Builds TPM wire bytes, big-endian. */
export class TpmWriter {
  readonly #parts: Uint8Array[] = [];

  u8(v: number): this {
    this.#parts.push(Uint8Array.of(v & 0xff));
    return this;
  }

  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v);
    this.#parts.push(b);
    return this;
  }

  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0);
    this.#parts.push(b);
    return this;
  }

  bytes(v: Uint8Array): this {
    this.#parts.push(v);
    return this;
  }

  /** A TPM2B: 16-bit size, then the bytes. */
  tpm2b(v: Uint8Array): this {
    return this.u16(v.length).bytes(v);
  }

  finish(): Uint8Array {
    return concat(this.#parts);
  }
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Equality of two byte arrays. Not constant time: use it for public data only (names, digests, nonces). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
