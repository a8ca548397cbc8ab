/**
 * ASCII armor for age files (c2sp.org/age §ASCII armor): strict PEM (RFC 7468 §3, Figure 3) with the
 * case-sensitive label "AGE ENCRYPTED FILE", 64-column padded canonical base64, LF or CRLF line ends, and
 * nothing but bounded whitespace before and after the block. Dearmoring streams line by line.
 */
import { EdgewardError } from "../errors/index.ts";

/** The armor's first line. */
export const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
/** The armor's last line. */
export const ARMOR_END = "-----END AGE ENCRYPTED FILE-----";

const COLUMNS = 64;
const BYTES_PER_LINE = 48;
const MAX_WHITESPACE = 1024;
const MAX_PENDING = 2 * MAX_WHITESPACE;
const BINARY_INTRO = "age-encryption.org/";
/** Bytes {@link looksArmored} needs at most to decide. */
export const ARMOR_PROBE = 1100;
const PADDED_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decides from a prefix whether input is armored. A binary age file starts with `age-encryption.org/`; input
 * whose first non-whitespace bytes are `-----`, or that holds the BEGIN line within its first KiB after other bytes
 * (leading garbage, which dearmoring then rejects), is armored. Returns null while the prefix is too short to
 * tell; `complete` says no more bytes will come.
 */
export function looksArmored(prefix: Uint8Array, complete = true): boolean | null {
  let start = 0;
  while (start < prefix.length && isSpace(prefix[start] ?? 0)) start++;
  if (start === prefix.length) return complete || prefix.length > MAX_WHITESPACE ? false : null;
  // "-----" opens a PEM line; a lone "-" (for example "-> " of a headerless stanza) is not armor.
  const dashes = Buffer.from(prefix.buffer, prefix.byteOffset + start, Math.min(prefix.length - start, 5));
  if (dashes.every((b) => b === 0x2d)) return dashes.length === 5 ? true : complete ? false : null;
  const head = Buffer.from(
    prefix.buffer,
    prefix.byteOffset + start,
    Math.min(prefix.length - start, BINARY_INTRO.length),
  );
  if (BINARY_INTRO.startsWith(head.toString("latin1"))) {
    return head.length === BINARY_INTRO.length || complete ? false : null;
  }
  if (Buffer.from(prefix.buffer, prefix.byteOffset, prefix.length).includes(ARMOR_BEGIN)) return true;
  return complete || prefix.length >= ARMOR_PROBE ? false : null;
}

/** Dearmors a stream of armored bytes into the binary age file; throws EW_ERR_AGE_ARMOR on any deviation. */
export async function* dearmor(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const state = new Dearmorer();
  for await (const chunk of source) {
    const out = state.push(chunk);
    if (out.length > 0) yield out;
  }
  const last = state.finish();
  if (last.length > 0) yield last;
}

/** Dearmors a whole armored file held in memory. */
export function dearmorBytes(armored: Uint8Array): Uint8Array {
  const state = new Dearmorer();
  return Buffer.concat([state.push(armored), state.finish()]);
}

/** Armors a binary age file (what `age -a` writes). */
export function armorBytes(binary: Uint8Array): string {
  const b64 = Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength).toString("base64");
  let out = `${ARMOR_BEGIN}\n`;
  for (let i = 0; i < b64.length; i += COLUMNS) out += `${b64.slice(i, i + COLUMNS)}\n`;
  return `${out}${ARMOR_END}\n`;
}

type Phase = "start" | "body" | "end" | "trailer";

/** The armor parser's state (the same rules as age's armor.NewReader). */
class Dearmorer {
  #phase: Phase = "start";
  #pending: Buffer = Buffer.alloc(0);
  #whitespace = 0;

  push(chunk: Uint8Array): Buffer {
    this.#pending = this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      if (this.#phase === "trailer") {
        this.#trailer(this.#pending);
        this.#pending = Buffer.alloc(0);
        break;
      }
      const lf = this.#pending.indexOf(0x0a);
      if (lf < 0) {
        if (this.#pending.length > MAX_PENDING) throw bad("a line is too long");
        break;
      }
      const line = this.#pending.subarray(0, lf);
      this.#pending = this.#pending.subarray(lf + 1);
      const decoded = this.#line(stripCr(line));
      if (decoded !== null) out.push(decoded);
    }
    return Buffer.concat(out);
  }

  finish(): Buffer {
    // A last line without LF still counts (age accepts an END line with no end of line).
    let out: Buffer = Buffer.alloc(0);
    if (this.#phase !== "trailer" && this.#pending.length > 0) {
      out = this.#line(stripCr(this.#pending)) ?? out;
      this.#pending = Buffer.alloc(0);
    }
    if (this.#phase !== "trailer") throw bad("the END line is missing");
    return out;
  }

  #line(line: Buffer): Buffer | null {
    const text = line.toString("latin1");
    switch (this.#phase) {
      case "start":
        if (line.every(isSpace)) {
          this.#whitespace += line.length + 1;
          if (this.#whitespace > MAX_WHITESPACE) throw bad("too much leading whitespace");
          return null;
        }
        if (text !== ARMOR_BEGIN) throw bad("the first line is not the BEGIN line");
        this.#phase = "body";
        return null;
      case "body":
        if (text === ARMOR_END) return this.#enterTrailer();
        return this.#data(text);
      case "end":
        if (text !== ARMOR_END) throw bad("a short line is not followed by the END line");
        return this.#enterTrailer();
      case "trailer":
        return null;
    }
  }

  /** One base64 line: 1–64 columns, strict padded canonical base64; a line of under 48 bytes must be the last. */
  #data(text: string): Buffer {
    if (text.length === 0) throw bad("an empty line inside the armor");
    if (text.length > COLUMNS) throw bad("a line is longer than 64 columns");
    if (text.length % 4 !== 0 || !PADDED_BASE64.test(text)) throw bad("a line is not padded base64");
    const decoded = Buffer.from(text, "base64");
    if (decoded.toString("base64") !== text) throw bad("a line is not canonical base64");
    if (decoded.length < BYTES_PER_LINE) this.#phase = "end";
    return decoded;
  }

  #enterTrailer(): null {
    this.#phase = "trailer";
    this.#whitespace = 0;
    return null;
  }

  #trailer(bytes: Uint8Array): void {
    this.#whitespace += bytes.length;
    if (!bytes.every(isSpace)) throw bad("data after the END line");
    if (this.#whitespace > MAX_WHITESPACE) throw bad("too much trailing whitespace");
  }
}

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

function bad(detail: string): EdgewardError {
  return new EdgewardError("EW_ERR_AGE_ARMOR", { detail });
}
