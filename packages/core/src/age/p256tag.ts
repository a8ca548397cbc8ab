/**
 * The P-256 tagged recipient type (c2sp.org/age §The tagged recipient types, §p256tag recipient stanza):
 * `age1tag1…` recipients (a compressed SEC 1 point) and the `p256tag` stanza, HPKE with DHKEM(P-256). The
 * identity side runs through {@link P256KeyAgreement}, so a TPM can hold the private key.
 */
import { timingSafeEqual } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { encodeBase64NoPad } from "./base64.ts";
import { bech32Encode } from "./bech32.ts";
import {
  P256_POINT_LENGTH,
  compressP256,
  dhkemP256Decapsulate,
  dhkemP256Encapsulate,
  uncompressP256,
} from "./dhkem-p256.ts";
import { KEM_ID, hpkeOpen, hpkeSeal } from "./hpke.ts";
import { concatBytes, hkdfExtract, sha256 } from "./kdf.ts";
import { decodeStanzaArgs, invalid } from "./stanza-checks.ts";
import type { AgeRecipient, P256KeyAgreement, Stanza } from "./types.ts";
import type { SoftwareAgeIdentity } from "./x25519.ts";

/** The first stanza argument (case-sensitive). */
export const P256TAG_STANZA = "p256tag";
/**
 * Most stanzas with this key's tag one header may make the key try. An honest file has one stanza per
 * recipient; a few allow for a file wrapped to the same key more than once.
 */
export const MAX_TAGGED_ATTEMPTS = 4;
const INFO = "age-encryption.org/p256tag";
const SALT = new TextEncoder().encode(INFO);
const TAG_LENGTH = 4;

/**
 * The `age1tag1…` recipient string for a P-256 public key (compressed or uncompressed SEC 1; the string
 * always carries the compressed form). Throws EW_ERR_AGE_RECIPIENT when the point is not on the curve.
 */
export function p256TagRecipient(publicKey: Uint8Array): string {
  const uncompressed = uncompressP256(publicKey);
  if (uncompressed === null) throw new EdgewardError("EW_ERR_AGE_RECIPIENT", { detail: "not a P-256 point" });
  return bech32Encode("age1tag", compressP256(uncompressed));
}

/** Builds the recipient for a compressed (33-byte) P-256 point, as an `age1tag1` string carries it. */
export function p256TagRecipientFromPoint(compressed: Uint8Array): AgeRecipient {
  const uncompressed = compressed.length === 33 ? uncompressP256(compressed) : null;
  if (uncompressed === null)
    throw new EdgewardError("EW_ERR_AGE_RECIPIENT", { detail: "not a compressed P-256 point" });
  const recipient = bech32Encode("age1tag", compressed);
  const recipientHash = sha256(compressed).subarray(0, TAG_LENGTH);
  return {
    recipient,
    wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
      // §p256tag recipient stanza: SealBase(pkR = decompress(recipient), info, aad = ""), then the tag.
      const { sharedSecret, enc } = dhkemP256Encapsulate(uncompressed);
      const body = hpkeSeal(KEM_ID.dhkemP256, sharedSecret, INFO, fileKey);
      sharedSecret.fill(0);
      const tag = stanzaTag(enc, recipientHash);
      return Promise.resolve([{ type: P256TAG_STANZA, args: [encodeBase64NoPad(tag), encodeBase64NoPad(enc)], body }]);
    },
  };
}

/**
 * An age identity for `p256tag` stanzas whose private key stays behind `agreement` (a TPM, or the software
 * key of {@link createSoftwareP256KeyAgreement}). Stanzas whose tag is for another key are skipped without
 * touching the key, so a hardware key is asked only for stanzas addressed to it.
 */
export function createP256TagIdentity(agreement: P256KeyAgreement): SoftwareAgeIdentity {
  const compressed = compressP256(agreement.publicKey);
  const recipientHash = sha256(compressed).subarray(0, TAG_LENGTH);
  const recipient = bech32Encode("age1tag", compressed);
  return {
    recipient,
    description: agreement.description,
    hardwareBacked: agreement.hardwareBacked,
    async unwrapFileKey(stanzas: readonly Stanza[]): Promise<Uint8Array | null> {
      let attempts = 0;
      for (const stanza of stanzas) {
        if (stanza.type !== P256TAG_STANZA) continue;
        const [tag, enc] = decodeStanzaArgs(stanza, [TAG_LENGTH, P256_POINT_LENGTH]);
        if (tag === undefined || enc === undefined) continue;
        // HPKE's DeserializePublicKey takes only the uncompressed form (RFC 9180 §7.1.1).
        if (enc[0] !== 0x04) throw invalid(stanza, "enc is not an uncompressed P-256 point");
        if (!timingSafeEqual(tag, stanzaTag(enc, recipientHash))) continue;
        // Anyone can make stanzas that carry this key's tag (the tag is public): cap the key operations one
        // header can ask for, so a header of a thousand forged stanzas costs a TPM four ECDHs, not a thousand.
        if (++attempts > MAX_TAGGED_ATTEMPTS)
          throw invalid(stanza, `more than ${MAX_TAGGED_ATTEMPTS} stanzas carry this key's tag and none opened`);
        const sharedSecret = await dhkemP256Decapsulate(enc, agreement);
        const fileKey = hpkeOpen(KEM_ID.dhkemP256, sharedSecret, INFO, stanza.body);
        sharedSecret.fill(0);
        if (fileKey !== null) return fileKey;
      }
      return null;
    },
  };
}

/** tag = HKDF-Extract-SHA-256(ikm = enc ‖ SHA-256(recipient)[:4], salt = "age-encryption.org/p256tag")[:4]. */
function stanzaTag(enc: Uint8Array, recipientHash: Uint8Array): Uint8Array {
  return hkdfExtract(SALT, concatBytes(enc, recipientHash)).subarray(0, TAG_LENGTH);
}
