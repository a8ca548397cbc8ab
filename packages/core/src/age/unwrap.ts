/**
 * Recovering the file key from a header with a set of identities (c2sp.org/age §Header, §Header MAC,
 * §scrypt recipient stanza).
 */
import { EdgewardError } from "../errors/index.ts";
import { verifyHeaderMac, type AgeHeader } from "./header.ts";
import { FILE_KEY_LENGTH } from "./stanza-checks.ts";
import type { AgeIdentity } from "./types.ts";

/** The scrypt stanza type (c2sp.org/age §The scrypt recipient type). */
const SCRYPT_STANZA = "scrypt";

/**
 * Returns the file key of `header`: the first identity that unwraps a stanza gives it, and the header MAC is
 * then verified under it. Throws EW_ERR_AGE_NO_IDENTITY when no identity matches, EW_ERR_AGE_HEADER_MAC when
 * the MAC fails, EW_ERR_AGE_HEADER_RECIPIENT when a stanza addressed to an identity is malformed,
 * EW_ERR_AGE_HEADER_SCRYPT_MIXED when an scrypt stanza is not alone, and EW_ERR_AGE_SCRYPT_UNSUPPORTED for a
 * passphrase-encrypted file.
 */
export async function unwrapHeader(header: AgeHeader, identities: readonly AgeIdentity[]): Promise<Uint8Array> {
  if (header.stanzas.some((s) => s.type === SCRYPT_STANZA)) {
    // "An scrypt stanza, if present, MUST be the only stanza in the header."
    if (header.stanzas.length !== 1) throw new EdgewardError("EW_ERR_AGE_HEADER_SCRYPT_MIXED");
    throw new EdgewardError("EW_ERR_AGE_SCRYPT_UNSUPPORTED");
  }
  if (identities.length === 0) throw new EdgewardError("EW_ERR_AGE_NO_IDENTITY", { detail: "no identity was given" });
  for (const identity of identities) {
    const fileKey = await identity.unwrapFileKey(header.stanzas);
    if (fileKey === null) continue;
    if (fileKey.length !== FILE_KEY_LENGTH) {
      fileKey.fill(0);
      throw new EdgewardError("EW_ERR_AGE_HEADER_RECIPIENT", {
        detail: `${identity.description} unwrapped a bad file key`,
      });
    }
    try {
      verifyHeaderMac(header, fileKey);
    } catch (err) {
      fileKey.fill(0);
      throw err;
    }
    return fileKey;
  }
  throw new EdgewardError("EW_ERR_AGE_NO_IDENTITY");
}
