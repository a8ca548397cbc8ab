import { EdgewardError } from "@edgeward/core/errors";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { isValidKeyName, type NoteVerifier } from "./keys.ts";
import type { NoteSigner } from "./signer.ts";

/** Largest note accepted, in bytes (a defensive cap; c2sp.org/signed-note §Format lets verifiers bound size). */
export const MAX_NOTE_BYTES = 1 << 20;
/** Most signature lines accepted (the spec requires accepting at least 16; Go's sumdb/note allows 100). */
export const MAX_NOTE_SIGNATURES = 100;

const DASH = "\u2014 ";

/** One parsed signature line. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** Signature bytes after the key ID. */
  readonly signature: Uint8Array;
  /** The line as it appeared, with its newline. */
  readonly line: string;
}

/** A note whose signatures have been checked. */
export interface OpenedNote {
  /** The signed text, including its final newline. */
  readonly text: string;
  /** The trusted keys whose signatures verified, each once. */
  readonly verifiedBy: readonly NoteVerifier[];
  /** Every signature line, known or not (unknown ones were ignored, as the spec requires). */
  readonly signatures: readonly NoteSignature[];
}

/**
 * Signs `text` with each signer and returns the note: text, a blank line, then one line per signature
 * "— name base64(keyID || sig)" (c2sp.org/signed-note §Format).
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkText(text);
  if (signers.length === 0) throw new EdgewardError("EW_ERR_USAGE", { detail: "a note needs at least one signer" });
  return `${text}\n${signers.map((s) => signatureLine(s, text)).join("")}`;
}

/** One signature line by `signer` over `text`. */
export function signatureLine(signer: NoteSigner, text: string): string {
  const sig = signer.sign(text);
  const bytes = new Uint8Array(4 + sig.length);
  new DataView(bytes.buffer).setUint32(0, signer.keyId);
  bytes.set(sig, 4);
  return `${DASH}${signer.name} ${encodeBase64(bytes)}\n`;
}

/** Appends signature lines (for example witness cosignatures) to an already signed note, after re-parsing it. */
export function addSignatureLines(note: string, lines: readonly string[]): string {
  const { text, signatures } = parseNote(note);
  const all = [...signatures.map((s) => s.line), ...lines];
  for (const line of lines) parseSignatureLine(line.endsWith("\n") ? line.slice(0, -1) : line);
  if (all.length > MAX_NOTE_SIGNATURES) throw new EdgewardError("EW_ERR_NOTE_TOO_LARGE");
  return `${text}\n${all.map((l) => (l.endsWith("\n") ? l : `${l}\n`)).join("")}`;
}

/** Splits a note into text and signature lines, checking only the format (c2sp.org/signed-note §Format). */
export function parseNote(note: string | Uint8Array): { text: string; signatures: NoteSignature[] } {
  const s = typeof note === "string" ? note : decodeUtf8(note);
  if (Buffer.byteLength(s, "utf8") > MAX_NOTE_BYTES) throw new EdgewardError("EW_ERR_NOTE_TOO_LARGE");
  checkChars(s);
  if (!s.endsWith("\n")) throw malformed("does not end in a newline");
  // The text is separated from the signatures by the last empty line; it keeps its own final newline.
  const split = s.lastIndexOf("\n\n");
  if (split < 0) throw malformed("no blank line before the signatures");
  const text = s.slice(0, split + 1);
  const block = s.slice(split + 2, -1);
  if (block.length === 0) throw malformed("no signatures");
  const lines = block.split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES)
    throw new EdgewardError("EW_ERR_NOTE_TOO_LARGE", { detail: `${lines.length} signatures` });
  return { text, signatures: lines.map(parseSignatureLine) };
}

/**
 * Verifies a note against trusted keys (c2sp.org/signed-note §Signatures): signatures from unknown keys are
 * ignored; a signature from a known key (same name and ID) that fails rejects the whole note (EW_ERR_NOTE_SIGNATURE);
 * a note with no verified known signature is rejected (EW_ERR_NOTE_UNKNOWN_KEY).
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = parseNote(note);
  const verifiedBy: NoteVerifier[] = [];
  for (const sig of signatures) {
    const v = verifiers.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (v === undefined) continue;
    if (!v.verify(text, sig.signature)) throw new EdgewardError("EW_ERR_NOTE_SIGNATURE", { detail: `key ${sig.name}` });
    if (!verifiedBy.includes(v)) verifiedBy.push(v);
  }
  if (verifiedBy.length === 0) throw new EdgewardError("EW_ERR_NOTE_UNKNOWN_KEY");
  return { text, verifiedBy, signatures };
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(DASH)) throw malformed("a signature line does not start with an em dash and a space");
  const rest = line.slice(DASH.length);
  const space = rest.indexOf(" ");
  if (space < 0) throw malformed("a signature line has no signature");
  const name = rest.slice(0, space);
  const b64 = rest.slice(space + 1);
  if (!isValidKeyName(name)) throw malformed("a signature line has an invalid key name");
  const bytes = decodeBase64(b64, "EW_ERR_NOTE_MALFORMED", "a signature");
  if (bytes.length < 5) throw malformed("a signature is shorter than its key ID");
  return {
    name,
    keyId: new DataView(bytes.buffer, bytes.byteOffset).getUint32(0),
    signature: bytes.subarray(4),
    line: `${line}\n`,
  };
}

function checkText(text: string): void {
  checkChars(text);
  if (text.length === 0 || !text.endsWith("\n")) throw malformed("the text must be non-empty and end in a newline");
}

/** Notes are valid UTF-8 with no ASCII control characters but newline (c2sp.org/signed-note §Format). */
function checkChars(s: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(s)) throw malformed("contains a control character");
  if (!s.isWellFormed()) throw malformed("is not valid UTF-8");
}

function decodeUtf8(bytes: Uint8Array): string {
  if (bytes.length > MAX_NOTE_BYTES) throw new EdgewardError("EW_ERR_NOTE_TOO_LARGE");
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (err) {
    throw new EdgewardError("EW_ERR_NOTE_MALFORMED", { detail: "is not valid UTF-8", cause: err });
  }
}

function malformed(detail: string): EdgewardError {
  return new EdgewardError("EW_ERR_NOTE_MALFORMED", { detail: `the note ${detail}` });
}
