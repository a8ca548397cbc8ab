/**
 * The age v1 header (c2sp.org/age §Header): parse strictly, serialize canonically, compute and check the MAC.
 *
 *     header = v1-line 1*stanza end
 *     v1-line = "age-encryption.org/v1" LF
 *     stanza = arg-line *full-line final-line      ; "-> " args LF, 64-column base64 body, a short last line
 *     end = "--- " 43base64char LF
 *
 * Every deviation fails closed with its own EW_ERR_AGE_HEADER_* code. Parsing is incremental:
 * {@link tryParseHeader} says "need more bytes" instead of guessing, so readers can feed it a prefix.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { EdgewardError, type ErrorCode } from "../errors/index.ts";
import { decodeBase64NoPad, encodeBase64NoPad } from "./base64.ts";
import { hkdfSha256 } from "./kdf.ts";
import { FILE_KEY_LENGTH } from "./stanza-checks.ts";
import type { Stanza } from "./types.ts";

/** A parsed age v1 header. */
export interface AgeHeader {
  /** The format version; only `v1` parses. */
  readonly version: "v1";
  /** The recipient stanzas, in file order. */
  readonly stanzas: readonly Stanza[];
  /** The 32-byte HMAC-SHA-256 from the `---` line (not yet verified). */
  readonly mac: Uint8Array;
  /** The header exactly as in the file, from the version line through the MAC line's LF. */
  readonly headerBytes: Uint8Array;
  /** Offset of the payload (the 16-byte nonce) in the parsed input: `headerBytes.length`. */
  readonly payloadOffset: number;
}

/** Caps that keep a hostile header from consuming memory or time. */
export interface HeaderLimits {
  /** Largest accepted header in bytes (default 1 MiB). */
  readonly maxHeaderBytes?: number;
  /** Most stanzas accepted (default 1024). */
  readonly maxStanzas?: number;
}

/** The default {@link HeaderLimits}. */
export const DEFAULT_HEADER_LIMITS = { maxHeaderBytes: 1 << 20, maxStanzas: 1024 } as const;

const INTRO = "age-encryption.org/";
const VERSION_LINE = "age-encryption.org/v1";
const COLUMNS = 64;
const MAX_VERSION_LINE = 256;
const ARGUMENT = /^[\x21-\x7e]+$/;
const BODY_LINE = /^[A-Za-z0-9+/=]*$/;
const MAC_LINE = /^--- ([A-Za-z0-9+/]{43})$/;
const LF = 0x0a;
const NATIVE_TYPES = new Set(["X25519", "mlkem768x25519", "p256tag", "mlkem768p256tag", "scrypt"]);

/**
 * Parses a complete header from the start of `bytes` (the payload may follow). Throws
 * EW_ERR_AGE_HEADER_TRUNCATED when `bytes` ends inside the header, EW_ERR_AGE_HEADER_MISSING when it is empty or
 * not an age file, and the other EW_ERR_AGE_HEADER_* codes for each kind of malformation.
 */
export function parseHeader(bytes: Uint8Array, limits: HeaderLimits = {}): AgeHeader {
  const header = tryParseHeader(bytes, limits);
  if (header === null) throw fail(bytes.length === 0 ? "EW_ERR_AGE_HEADER_MISSING" : "EW_ERR_AGE_HEADER_TRUNCATED");
  return header;
}

/** Like {@link parseHeader}, but returns null when `bytes` is a valid prefix of a header that needs more input. */
export function tryParseHeader(bytes: Uint8Array, limits: HeaderLimits = {}): AgeHeader | null {
  const maxBytes = limits.maxHeaderBytes ?? DEFAULT_HEADER_LIMITS.maxHeaderBytes;
  const maxStanzas = limits.maxStanzas ?? DEFAULT_HEADER_LIMITS.maxStanzas;
  const intro = ascii(bytes, 0, Math.min(bytes.length, INTRO.length));
  if (!INTRO.startsWith(intro)) throw fail("EW_ERR_AGE_HEADER_MISSING");
  const lines = new LineReader(bytes, maxBytes);

  // §Version line: "age-encryption.org/" then a version; only v1 is specified.
  const version = lines.next(MAX_VERSION_LINE, "EW_ERR_AGE_HEADER_VERSION");
  if (version === null) return null;
  if (version !== VERSION_LINE) throw fail("EW_ERR_AGE_HEADER_VERSION", "unsupported or malformed version line");

  const stanzas: Stanza[] = [];
  const seen = new Set<string>();
  for (;;) {
    const line = lines.next(maxBytes, "EW_ERR_AGE_HEADER_TOO_LONG");
    if (line === null) return null;
    if (line.startsWith("---")) {
      // §Header MAC: "--- " and the base64 MAC; the MAC covers everything up to and including "---".
      if (stanzas.length === 0) throw fail("EW_ERR_AGE_HEADER_STANZA", "the header has no recipient stanza");
      const match = MAC_LINE.exec(line);
      if (match === null) throw fail("EW_ERR_AGE_HEADER_MAC_LINE");
      const mac = decodeBase64NoPad(match[1] ?? "");
      if (mac === null) throw fail("EW_ERR_AGE_HEADER_BASE64", "MAC");
      const headerBytes = bytes.subarray(0, lines.offset);
      return { version: "v1", stanzas, mac, headerBytes, payloadOffset: lines.offset };
    }
    if (!line.startsWith("-> ")) throw fail("EW_ERR_AGE_HEADER_STANZA", "a header line starts with neither -> nor ---");
    if (stanzas.length >= maxStanzas) throw fail("EW_ERR_AGE_HEADER_TOO_LONG", `more than ${maxStanzas} stanzas`);
    const args = line.slice(3).split(" ");
    if (!args.every((a) => ARGUMENT.test(a))) throw fail("EW_ERR_AGE_HEADER_STANZA", "empty or invalid argument");
    const body = readBody(lines);
    if (body === null) return null;
    const [type = "", ...rest] = args;
    // A native stanza carries a fresh ephemeral share or salt (c2sp.org/age: "A new ephemeral secret MUST be
    // generated for each stanza"), so an exact repeat is an alteration or a broken encoder. Other types
    // (grease, plugins) may legitimately repeat.
    const key = `${line}\n${body}`;
    if (NATIVE_TYPES.has(type) && seen.has(key)) throw fail("EW_ERR_AGE_HEADER_DUPLICATE", type);
    seen.add(key);
    const decoded = decodeBase64NoPad(body);
    if (decoded === null) throw fail("EW_ERR_AGE_HEADER_BASE64", `body of stanza ${stanzas.length + 1}`);
    stanzas.push({ type, args: rest, body: decoded });
  }
}

/** Reads a stanza body: 64-column lines ending with the first shorter (possibly empty) line. */
function readBody(lines: LineReader): string | null {
  let body = "";
  for (;;) {
    const line = lines.next(COLUMNS + 1, "EW_ERR_AGE_HEADER_STANZA");
    if (line === null) return null;
    if (line.length > COLUMNS) throw fail("EW_ERR_AGE_HEADER_STANZA", "a body line is longer than 64 columns");
    if (!BODY_LINE.test(line)) throw fail("EW_ERR_AGE_HEADER_STANZA", "a body line holds a non-base64 character");
    body += line;
    if (line.length < COLUMNS) return body;
  }
}

/**
 * Serializes a header for `stanzas` and MACs it with `fileKey` (c2sp.org/age §Header). Bodies are wrapped at
 * 64 columns and always end with a short (possibly empty) line.
 */
export function serializeHeader(fileKey: Uint8Array, stanzas: readonly Stanza[]): Uint8Array {
  if (fileKey.length !== FILE_KEY_LENGTH) throw new EdgewardError("EW_ERR_AGE_FILE_KEY");
  if (stanzas.length === 0) throw new EdgewardError("EW_ERR_AGE_NO_RECIPIENTS");
  let text = `${VERSION_LINE}\n`;
  for (const stanza of stanzas) {
    const args = [stanza.type, ...stanza.args];
    if (!args.every((a) => ARGUMENT.test(a)))
      throw fail("EW_ERR_AGE_HEADER_STANZA", "cannot serialize an invalid argument");
    text += `-> ${args.join(" ")}\n`;
    const body = encodeBase64NoPad(stanza.body);
    for (let i = 0; i <= body.length; i += COLUMNS) text += `${body.slice(i, i + COLUMNS)}\n`;
  }
  text += "---";
  const mac = headerMac(fileKey, Buffer.from(text, "latin1"));
  return new Uint8Array(Buffer.from(`${text} ${encodeBase64NoPad(mac)}\n`, "latin1"));
}

/** Checks the header MAC under `fileKey`; throws EW_ERR_AGE_HEADER_MAC when it does not verify. */
export function verifyHeaderMac(header: AgeHeader, fileKey: Uint8Array): void {
  // The MAC line is "--- " + 43 base64 characters + LF: the MAC input ends 45 bytes before the header's end.
  const macInput = header.headerBytes.subarray(0, header.headerBytes.length - 45);
  const expected = headerMac(fileKey, macInput);
  if (!timingSafeEqual(expected, header.mac)) throw fail("EW_ERR_AGE_HEADER_MAC");
}

/** HMAC-SHA-256(key = HKDF-SHA-256(file key, salt = empty, info = "header"), header through "---"). */
function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Uint8Array {
  const key = hkdfSha256(fileKey, new Uint8Array(0), "header");
  const mac = new Uint8Array(createHmac("sha256", key).update(macInput).digest());
  key.fill(0);
  return mac;
}

/** Splits `bytes` into LF-terminated lines without copying more than one line at a time. */
class LineReader {
  offset = 0;
  readonly #bytes: Uint8Array;
  readonly #maxBytes: number;

  constructor(bytes: Uint8Array, maxBytes: number) {
    this.#bytes = bytes;
    this.#maxBytes = maxBytes;
  }

  /** The next line without its LF, or null when no LF arrived yet within `maxLine` bytes. */
  next(maxLine: number, tooLong: ErrorCode): string | null {
    const limit = Math.min(this.#bytes.length, this.offset + maxLine + 1);
    const end = this.#bytes.subarray(0, limit).indexOf(LF, this.offset);
    if (end < 0) {
      if (limit - this.offset > maxLine) throw fail(tooLong, "a header line is too long");
      if (limit > this.#maxBytes) throw fail("EW_ERR_AGE_HEADER_TOO_LONG");
      return null;
    }
    if (end + 1 > this.#maxBytes) throw fail("EW_ERR_AGE_HEADER_TOO_LONG");
    const line = ascii(this.#bytes, this.offset, end);
    this.offset = end + 1;
    return line;
  }
}

/** Decodes bytes as Latin-1 so every byte maps to one character and the regexes see non-ASCII bytes as such. */
function ascii(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("latin1");
}

function fail(code: ErrorCode, detail?: string): EdgewardError {
  return new EdgewardError(code, detail === undefined ? {} : { detail });
}
