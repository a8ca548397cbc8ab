import { EdgewardError } from "@edgeward/core/errors";
import { HASH_SIZE } from "./merkle/hash.ts";
import { decodeBase64, encodeBase64 } from "./note/base64.ts";
import type { NoteVerifier } from "./note/keys.ts";
import { openNote, signNote, type OpenedNote } from "./note/note.ts";
import type { NoteSigner } from "./note/signer.ts";

/** A tree head as a checkpoint states it (c2sp.org/tlog-checkpoint §Note text). */
export interface Checkpoint {
  /** Unique identifier of the log (first line). */
  readonly origin: string;
  /** Number of leaves (second line). */
  readonly size: number;
  /** RFC 6962 root hash at that size (third line). */
  readonly root: Uint8Array;
  /** Opaque extension lines, if any. */
  readonly extensions: readonly string[];
}

/** A checkpoint whose signature by the log's key verified. */
export interface SignedCheckpoint extends Checkpoint {
  /** The whole signed note, exactly as received or produced. */
  readonly note: string;
  /** The note text the signatures cover. */
  readonly text: string;
  readonly opened: OpenedNote;
}

/** The checkpoint note text: origin, size and base64 root, one per line, then any extension lines. */
export function formatCheckpoint(cp: Omit<Checkpoint, "extensions"> & { extensions?: readonly string[] }): string {
  if (cp.origin.length === 0 || cp.origin.includes("\n")) throw malformed("origin must be one non-empty line");
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw malformed(`size ${cp.size}`);
  if (cp.root.length !== HASH_SIZE) throw malformed("root is not 32 bytes");
  const ext = cp.extensions ?? [];
  for (const e of ext) if (e.length === 0 || e.includes("\n")) throw malformed("extension lines must be non-empty");
  return [cp.origin, String(cp.size), encodeBase64(cp.root), ...ext].map((l) => `${l}\n`).join("");
}

/**
 * Parses checkpoint note text (c2sp.org/tlog-checkpoint §Note text): at least three non-empty lines; the size is
 * decimal with no leading zeroes and at most 2^53 − 1 here; the root is canonical base64 of exactly 32 bytes.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith("\n")) throw malformed("text does not end in a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw malformed("fewer than three lines");
  if (lines.some((l) => l.length === 0)) throw malformed("an empty line");
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw malformed("tree size is not a decimal with no leading zeroes");
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw malformed("tree size is out of range");
  const root = decodeBase64(rootText, "EW_ERR_CHECKPOINT_MALFORMED", "the root hash");
  if (root.length !== HASH_SIZE) throw malformed(`root hash is ${root.length} bytes, not 32`);
  return { origin, size, root, extensions };
}

/** Signs a checkpoint with the log's key (and any other signers), returning the note. */
export function signCheckpoint(cp: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(cp), signers);
}

/**
 * Opens a checkpoint note: verifies a signature by the log's key (and checks any other known keys' signatures),
 * parses the body, and checks the origin against the expected one (EW_ERR_CHECKPOINT_ORIGIN).
 */
export function openCheckpoint(
  note: string,
  logKey: NoteVerifier,
  options: { origin?: string; others?: readonly NoteVerifier[] } = {},
): SignedCheckpoint {
  const opened = openNote(note, [logKey, ...(options.others ?? [])]);
  if (!opened.verifiedBy.includes(logKey))
    throw new EdgewardError("EW_ERR_NOTE_UNKNOWN_KEY", { detail: "no log signature" });
  const cp = parseCheckpoint(opened.text);
  const origin = options.origin ?? logKey.name;
  if (cp.origin !== origin)
    throw new EdgewardError("EW_ERR_CHECKPOINT_ORIGIN", { detail: `${cp.origin} is not ${origin}` });
  return { ...cp, note, text: opened.text, opened };
}

function malformed(detail: string): EdgewardError {
  return new EdgewardError("EW_ERR_CHECKPOINT_MALFORMED", { detail });
}
