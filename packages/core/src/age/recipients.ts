/**
 * Recipient strings and recipients files (c2sp.org/age §Native recipient types; the recipients-file format
 * of age's `-R`: one recipient per line, `#` comments and blank lines ignored).
 */
import { EdgewardError } from "../errors/index.ts";
import { bech32Decode } from "./bech32.ts";
import { hybridRecipient } from "./hybrid.ts";
import { p256TagRecipientFromPoint } from "./p256tag.ts";
import type { AgeRecipient } from "./types.ts";
import { x25519Recipient } from "./x25519.ts";
import { XWING } from "./x-wing.ts";

/**
 * Parses an `age1…` (X25519), `age1pq1…` (ML-KEM-768 + X25519) or `age1tag1…` (P-256 tag) recipient.
 * Throws EW_ERR_AGE_RECIPIENT on anything else, including plugin and SSH recipients.
 */
export function parseRecipient(s: string): AgeRecipient {
  const decoded = bech32Decode(s);
  if (decoded === null)
    throw bad(s.startsWith("ssh-") ? "SSH recipients are not supported" : "not a Bech32 age recipient");
  const { hrp, bytes } = decoded;
  switch (hrp) {
    case "age":
      if (bytes.length !== 32) throw bad("an age1 recipient must hold 32 bytes");
      return x25519Recipient(bytes);
    case "age1pq":
      if (bytes.length !== XWING.publicKeyLength)
        throw bad(`an age1pq1 recipient must hold ${XWING.publicKeyLength} bytes`);
      return hybridRecipient(bytes);
    case "age1tag":
      if (bytes.length !== 33) throw bad("an age1tag1 recipient must hold a 33-byte compressed P-256 point");
      return p256TagRecipientFromPoint(bytes);
    case "age1tagpq":
      throw bad("age1tagpq1 (ML-KEM-768 + P-256 tag) recipients are not supported");
    default:
      throw bad(hrp.startsWith("age1") ? `plugin recipients (${hrp}) are not supported` : `unknown prefix ${hrp}`);
  }
}

/**
 * Parses a recipients file (`-R`): one recipient per line; lines starting with `#` and blank lines are
 * ignored. Throws EW_ERR_AGE_RECIPIENT naming the bad line, or EW_ERR_AGE_NO_RECIPIENTS when there is none.
 */
export function parseRecipientsFile(text: string): AgeRecipient[] {
  const recipients: AgeRecipient[] = [];
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) continue;
    try {
      recipients.push(parseRecipient(line));
    } catch (err) {
      if (err instanceof EdgewardError) throw bad(`line ${i + 1}: ${err.detail ?? "invalid"}`, err);
      throw err;
    }
  }
  if (recipients.length === 0)
    throw new EdgewardError("EW_ERR_AGE_NO_RECIPIENTS", { detail: "the recipients file lists none" });
  return recipients;
}

function bad(detail: string, cause?: unknown): EdgewardError {
  return new EdgewardError("EW_ERR_AGE_RECIPIENT", cause === undefined ? { detail } : { detail, cause });
}
