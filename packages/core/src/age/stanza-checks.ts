/**
 * Shared checks an identity applies to a stanza addressed to its type (c2sp.org/age §Native recipient types:
 * "MUST otherwise reject any stanza that has more or less than N arguments, or where … is not a canonical
 * base64 encoding of an L-byte value", and the 32-byte body check against partitioning oracles).
 */
import { EdgewardError } from "../errors/index.ts";
import { decodeBase64NoPad } from "./base64.ts";
import type { Stanza } from "./types.ts";

/** Length of every native stanza body: a 16-byte file key and its 16-byte Poly1305 tag. */
export const WRAPPED_FILE_KEY_LENGTH = 32;

/** Length of an age file key (c2sp.org/age §File key). */
export const FILE_KEY_LENGTH = 16;

/**
 * Checks a stanza's argument count and body length, then decodes each argument as canonical base64 of the
 * given length. Throws EW_ERR_AGE_HEADER_RECIPIENT on any mismatch.
 */
export function decodeStanzaArgs(stanza: Stanza, lengths: readonly number[]): Uint8Array[] {
  if (stanza.args.length !== lengths.length) {
    throw invalid(stanza, `expected ${lengths.length} argument(s), got ${stanza.args.length}`);
  }
  if (stanza.body.length !== WRAPPED_FILE_KEY_LENGTH) {
    throw invalid(stanza, `body is ${stanza.body.length} bytes, expected ${WRAPPED_FILE_KEY_LENGTH}`);
  }
  return lengths.map((length, i) => {
    const decoded = decodeBase64NoPad(stanza.args[i] ?? "");
    if (decoded?.length !== length)
      throw invalid(stanza, `argument ${i + 1} is not canonical base64 of ${length} bytes`);
    return decoded;
  });
}

/** The typed error for a stanza that is addressed to an identity but malformed. */
export function invalid(stanza: Stanza, why: string): EdgewardError {
  return new EdgewardError("EW_ERR_AGE_HEADER_RECIPIENT", { detail: `${stanza.type} stanza: ${why}` });
}
