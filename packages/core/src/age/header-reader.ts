/**
 * Reading an age header incrementally (c2sp.org/age §Header) from a FileHandle or a byte stream, without ever
 * buffering more than the header cap, and handing back the stream positioned at the payload.
 */
import type { FileHandle } from "node:fs/promises";
import { looksArmored } from "./armor.ts";
import { DEFAULT_HEADER_LIMITS, parseHeader, tryParseHeader, type AgeHeader, type HeaderLimits } from "./header.ts";
import { checkedChunks, readPrefix, resume, type ByteSource } from "./source.ts";

const FIRST_READ = 4096;

/**
 * Reads and parses the header at the start of `handle` (positional reads from byte 0). Throws the
 * EW_ERR_AGE_HEADER_* codes of {@link parseHeader}; the payload starts at `header.payloadOffset`.
 */
export async function readHeaderFromHandle(handle: FileHandle, limits: HeaderLimits = {}): Promise<AgeHeader> {
  const max = limits.maxHeaderBytes ?? DEFAULT_HEADER_LIMITS.maxHeaderBytes;
  for (let size = FIRST_READ; ; size *= 2) {
    // Read one byte past the cap at most, so an over-long header is told apart from a truncated one.
    const want = Math.min(size, max + 1);
    const bytes = await readPrefix(handle, want);
    const header = tryParseHeader(bytes, limits);
    if (header !== null) return { ...header, headerBytes: header.headerBytes.slice() };
    if (bytes.length < want || want > max) return parseHeader(bytes, limits);
  }
}

/** A header read from a stream and the stream's remaining bytes: the payload, nonce first. */
export interface StreamHeader {
  readonly header: AgeHeader;
  readonly payload: AsyncGenerator<Uint8Array, void, undefined>;
}

/**
 * Reads and parses the header at the start of `source`, consuming only what it needs; the returned `payload`
 * continues from the first payload byte. Throws the EW_ERR_AGE_HEADER_* codes of {@link parseHeader}.
 */
export async function readHeaderFromStream(source: ByteSource, limits: HeaderLimits = {}): Promise<StreamHeader> {
  const iterator = checkedChunks(source);
  const buffer = new Accumulator();
  let tried = -1;
  let scanned = 0;
  let macAt = -1;
  try {
    for (;;) {
      // Re-parsing from the start on every small chunk would be quadratic in the header size. The header ends
      // within a line of the first "\n---" (base64 bodies and "-> " lines cannot hold it), so parse again only
      // once that has arrived, or when the buffer has doubled (to fail fast on garbage and on the size cap).
      const bytes = buffer.bytes();
      if (macAt < 0) macAt = bytes.indexOf("\n---", Math.max(0, scanned - 3));
      scanned = bytes.length;
      if (tried < 0 || macAt >= 0 || bytes.length >= 2 * tried) {
        tried = bytes.length;
        const header = tryParseHeader(bytes, limits);
        if (header !== null) {
          const rest = bytes.subarray(header.payloadOffset);
          return { header: { ...header, headerBytes: header.headerBytes.slice() }, payload: resume(rest, iterator) };
        }
      }
      const next = await iterator.next();
      if (next.done === true) {
        return { header: parseHeader(buffer.bytes(), limits), payload: resume(new Uint8Array(0), iterator) };
      }
      buffer.push(next.value);
    }
  } catch (err) {
    await iterator.return();
    throw err;
  }
}

/** A byte buffer that grows by doubling, so appending many small chunks stays linear. */
class Accumulator {
  #data = Buffer.alloc(4096);
  #length = 0;

  push(chunk: Uint8Array): void {
    if (this.#length + chunk.length > this.#data.length) {
      const grown = Buffer.alloc(Math.max(2 * this.#data.length, this.#length + chunk.length));
      this.#data.copy(grown, 0, 0, this.#length);
      this.#data = grown;
    }
    this.#data.set(chunk, this.#length);
    this.#length += chunk.length;
  }

  bytes(): Buffer {
    return this.#data.subarray(0, this.#length);
  }
}

/** A stream whose first bytes were looked at to decide whether it is ASCII-armored. */
export interface PeekedSource {
  readonly armored: boolean;
  readonly source: AsyncIterable<Uint8Array>;
}

/** Looks at the first non-whitespace byte of `source` (c2sp.org/age §ASCII armor) and gives the stream back whole. */
export async function peekArmor(source: ByteSource): Promise<PeekedSource> {
  const iterator = checkedChunks(source);
  let buffered: Buffer = Buffer.alloc(0);
  for (;;) {
    const armored = looksArmored(buffered, false);
    if (armored !== null) return { armored, source: resume(buffered, iterator) };
    const next = await iterator.next();
    if (next.done === true) return { armored: looksArmored(buffered) === true, source: resume(buffered, iterator) };
    buffered = Buffer.concat([buffered, next.value]);
  }
}
