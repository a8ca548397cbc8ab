/**
 * The part of HPKE (RFC 9180) the age HPKE stanzas need: base-mode key schedule with HKDF-SHA256 and
 * ChaCha20Poly1305, one message, empty AAD (c2sp.org/age §mlkem768x25519 and §p256tag recipient stanzas).
 * The KEMs live beside it (x-wing.ts, dhkem-p256.ts); this file turns a KEM shared secret into key and nonce.
 */
import { chachaOpen, chachaSeal } from "./aead.ts";
import { concatBytes, hkdfExpand, hkdfExtract } from "./kdf.ts";

/** HPKE KEM identifiers (RFC 9180 §7.1, draft-ietf-hpke-pq). */
export const KEM_ID = { dhkemP256: 0x0010, mlkem768x25519: 0x647a } as const;

const KDF_HKDF_SHA256 = 0x0001;
const AEAD_CHACHA20POLY1305 = 0x0003;
const encoder = new TextEncoder();

/** suite_id = "HPKE" ‖ I2OSP(kem_id, 2) ‖ I2OSP(kdf_id, 2) ‖ I2OSP(aead_id, 2) (RFC 9180 §5.1). */
function suiteId(kemId: number): Uint8Array {
  return concatBytes(encoder.encode("HPKE"), i2osp2(kemId), i2osp2(KDF_HKDF_SHA256), i2osp2(AEAD_CHACHA20POLY1305));
}

/** I2OSP(n, 2). */
export function i2osp2(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

/** LabeledExtract (RFC 9180 §4). */
export function labeledExtract(suite: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
  return hkdfExtract(salt, concatBytes(encoder.encode("HPKE-v1"), suite, encoder.encode(label), ikm));
}

/** LabeledExpand (RFC 9180 §4). */
export function labeledExpand(
  suite: Uint8Array,
  prk: Uint8Array,
  label: string,
  info: Uint8Array,
  length: number,
): Uint8Array {
  const labeledInfo = concatBytes(i2osp2(length), encoder.encode("HPKE-v1"), suite, encoder.encode(label), info);
  return hkdfExpand(prk, labeledInfo, length);
}

/** KeySchedule for mode_base with no PSK (RFC 9180 §5.1): the AEAD key and base nonce. */
export function hpkeKeySchedule(
  kemId: number,
  sharedSecret: Uint8Array,
  info: Uint8Array,
): { key: Uint8Array; nonce: Uint8Array } {
  const suite = suiteId(kemId);
  const empty = new Uint8Array(0);
  const pskIdHash = labeledExtract(suite, empty, "psk_id_hash", empty);
  const infoHash = labeledExtract(suite, empty, "info_hash", info);
  const context = concatBytes(Uint8Array.of(0x00), pskIdHash, infoHash);
  const secret = labeledExtract(suite, sharedSecret, "secret", empty);
  return {
    key: labeledExpand(suite, secret, "key", context, 32),
    nonce: labeledExpand(suite, secret, "base_nonce", context, 12),
  };
}

/** The Seal half of SealBase after Encap (RFC 9180 §6.1): the first message's ciphertext, empty AAD. */
export function hpkeSeal(kemId: number, sharedSecret: Uint8Array, info: string, plaintext: Uint8Array): Uint8Array {
  const { key, nonce } = hpkeKeySchedule(kemId, sharedSecret, encoder.encode(info));
  return chachaSeal(key, nonce, plaintext);
}

/** The Open half of OpenBase after Decap: the plaintext, or null when the AEAD tag does not verify. */
export function hpkeOpen(
  kemId: number,
  sharedSecret: Uint8Array,
  info: string,
  ciphertext: Uint8Array,
): Uint8Array | null {
  const { key, nonce } = hpkeKeySchedule(kemId, sharedSecret, encoder.encode(info));
  return chachaOpen(key, nonce, ciphertext);
}
