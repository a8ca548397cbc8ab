/**
 * DHKEM(P-256, HKDF-SHA256) (RFC 9180 §4.1, KEM id 0x0010) for the `p256tag` stanza. Encap runs here in
 * software; Decap needs only ECDH from the recipient's private key, so it runs through a
 * {@link P256KeyAgreement} (a software key or a TPM's TPM2_ECDH_ZGen) and never sees the private key.
 */
import { createPublicKey, diffieHellman, generateKeyPairSync } from "node:crypto";
import { KEM_ID, i2osp2, labeledExpand, labeledExtract } from "./hpke.ts";
import { concatBytes } from "./kdf.ts";
import type { P256KeyAgreement } from "./types.ts";

/** Length of an uncompressed SEC 1 P-256 point, the HPKE serialization (RFC 9180 §7.1.1). */
export const P256_POINT_LENGTH = 65;

const KEM_SUITE = concatBytes(new TextEncoder().encode("KEM"), i2osp2(KEM_ID.dhkemP256));

/**
 * Parses a compressed or uncompressed SEC 1 P-256 point and returns its uncompressed form, or null when it is
 * not a point on the curve (node:crypto checks the point, SEC 1 §2.3.4).
 */
export function uncompressP256(point: Uint8Array): Uint8Array | null {
  if (point.length !== 33 && point.length !== P256_POINT_LENGTH) return null;
  try {
    const key = createPublicKey({
      key: Buffer.from(point),
      format: "raw-public",
      asymmetricKeyType: "ec",
      namedCurve: "P-256",
    });
    return new Uint8Array(key.export({ format: "raw-public" }));
  } catch {
    return null;
  }
}

/** Compresses a valid uncompressed P-256 point (SEC 1 §2.3.3): 0x02/0x03 by the parity of Y, then X. */
export function compressP256(uncompressed: Uint8Array): Uint8Array {
  const out = new Uint8Array(33);
  out[0] = 0x02 | ((uncompressed[64] ?? 0) & 1);
  out.set(uncompressed.subarray(1, 33), 1);
  return out;
}

/** Encap(pkR) (RFC 9180 §4.1): a fresh ephemeral key; returns the KEM shared secret and enc = pkE. */
export function dhkemP256Encapsulate(recipientUncompressed: Uint8Array): { sharedSecret: Uint8Array; enc: Uint8Array } {
  const ephemeral = generateKeyPairSync("ec", { namedCurve: "P-256" });
  // node:crypto exports EC public keys uncompressed by default, the form HPKE's SerializePublicKey uses.
  const enc = new Uint8Array(ephemeral.publicKey.export({ format: "raw-public" }));
  const peer = createPublicKey({
    key: Buffer.from(recipientUncompressed),
    format: "raw-public",
    asymmetricKeyType: "ec",
    namedCurve: "P-256",
  });
  const dh = new Uint8Array(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: peer }));
  const sharedSecret = extractAndExpand(dh, concatBytes(enc, recipientUncompressed));
  dh.fill(0);
  return { sharedSecret, enc };
}

/** Decap(enc, skR) (RFC 9180 §4.1) with the private key behind `agreement`. */
export async function dhkemP256Decapsulate(enc: Uint8Array, agreement: P256KeyAgreement): Promise<Uint8Array> {
  const dh = await agreement.deriveSharedSecret(enc);
  const sharedSecret = extractAndExpand(dh, concatBytes(enc, agreement.publicKey));
  dh.fill(0);
  return sharedSecret;
}

/** ExtractAndExpand (RFC 9180 §4.1) with suite_id = "KEM" ‖ I2OSP(0x0010, 2). */
function extractAndExpand(dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
  const prk = labeledExtract(KEM_SUITE, new Uint8Array(0), "eae_prk", dh);
  return labeledExpand(KEM_SUITE, prk, "shared_secret", kemContext, 32);
}
