/**
 * The MLKEM768-X25519 hybrid KEM (X-Wing; HPKE KEM id 0x647a) that age's `mlkem768x25519` stanza uses
 * (c2sp.org/age §The MLKEM768-X25519 hybrid post-quantum recipient type, draft-ietf-hpke-pq-03,
 * draft-connolly-cfrg-xwing-kem). ML-KEM-768 and X25519 both run on node:crypto (OpenSSL 3.5).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  decapsulate,
  diffieHellman,
  encapsulate,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { concatBytes } from "./kdf.ts";

/** Sizes from X-Wing §2: encapsulation key 1184 + 32, ciphertext 1088 + 32, seed 32. */
export const XWING = {
  seedLength: 32,
  publicKeyLength: 1216,
  ciphertextLength: 1120,
  mlkemPublicKeyLength: 1184,
  mlkemCiphertextLength: 1088,
} as const;

/** The combiner's domain label `\.//^\` (X-Wing §5.3). */
const XWING_LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c);

/** An expanded X-Wing decapsulation key: both private halves and the X25519 public half the combiner hashes. */
export interface XWingPrivateKey {
  readonly mlkem: KeyObject;
  readonly x25519: KeyObject;
  readonly x25519Public: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * Expands a 32-byte seed (X-Wing §5.2 `expandDecapsulationKey`): SHAKE256(seed, 96) gives the 64-byte
 * ML-KEM seed d ‖ z (FIPS 203 ML-KEM.KeyGen_internal, which node:crypto accepts as a "raw-seed") and the
 * 32-byte X25519 private key.
 */
export function expandXWingSeed(seed: Uint8Array): XWingPrivateKey {
  const expanded = createHash("shake256", { outputLength: 96 }).update(seed).digest();
  try {
    const mlkem = createPrivateKey({
      key: expanded.subarray(0, 64),
      format: "raw-seed",
      asymmetricKeyType: "ml-kem-768",
    });
    const x25519 = createPrivateKey({
      key: expanded.subarray(64, 96),
      format: "raw-private",
      asymmetricKeyType: "x25519",
    });
    const mlkemPublic = createPublicKey(mlkem).export({ format: "raw-public" });
    const x25519Public = new Uint8Array(createPublicKey(x25519).export({ format: "raw-public" }));
    return { mlkem, x25519, x25519Public, publicKey: concatBytes(mlkemPublic, x25519Public) };
  } finally {
    expanded.fill(0);
  }
}

/** A parsed X-Wing encapsulation key. Throws a node:crypto error when the ML-KEM half is not a valid key. */
export interface XWingPublicKey {
  readonly mlkem: KeyObject;
  readonly x25519: KeyObject;
  readonly x25519Public: Uint8Array;
}

/** Parses the 1216-byte encapsulation key pk_M ‖ pk_X; null when the ML-KEM key fails FIPS 203's checks. */
export function parseXWingPublicKey(publicKey: Uint8Array): XWingPublicKey | null {
  if (publicKey.length !== XWING.publicKeyLength) return null;
  const x25519Public = publicKey.slice(XWING.mlkemPublicKeyLength);
  try {
    const mlkem = createPublicKey({
      key: Buffer.from(publicKey.subarray(0, XWING.mlkemPublicKeyLength)),
      format: "raw-public",
      asymmetricKeyType: "ml-kem-768",
    });
    const x25519 = createPublicKey({
      key: Buffer.from(x25519Public),
      format: "raw-public",
      asymmetricKeyType: "x25519",
    });
    return { mlkem, x25519, x25519Public };
  } catch {
    return null;
  }
}

/** X-Wing Encaps (§5.4): a fresh shared secret and the 1120-byte ciphertext ct_M ‖ ct_X. */
export function xwingEncapsulate(pk: XWingPublicKey): { sharedSecret: Uint8Array; enc: Uint8Array } {
  const { sharedKey: ssM, ciphertext: ctM } = encapsulate(pk.mlkem);
  const ephemeral = generateKeyPairSync("x25519");
  const ctX = ephemeral.publicKey.export({ format: "raw-public" });
  const ssX = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: pk.x25519 });
  const sharedSecret = combine(ssM, ssX, ctX, pk.x25519Public);
  ssM.fill(0);
  ssX.fill(0);
  return { sharedSecret, enc: concatBytes(ctM, ctX) };
}

/**
 * X-Wing Decaps (§5.5). Returns null when the X25519 share is a low-order point (all-zero shared secret),
 * which age rejects as a malformed stanza; an ML-KEM ciphertext that does not match yields a pseudo-random
 * secret by implicit rejection (FIPS 203), so the caller's AEAD fails.
 */
export function xwingDecapsulate(sk: XWingPrivateKey, enc: Uint8Array): Uint8Array | null {
  if (enc.length !== XWING.ciphertextLength) return null;
  const ctM = enc.subarray(0, XWING.mlkemCiphertextLength);
  const ctX = enc.subarray(XWING.mlkemCiphertextLength);
  let ssX: Buffer;
  try {
    const peer = createPublicKey({ key: Buffer.from(ctX), format: "raw-public", asymmetricKeyType: "x25519" });
    ssX = diffieHellman({ privateKey: sk.x25519, publicKey: peer });
  } catch {
    // OpenSSL refuses to derive an all-zero X25519 secret (RFC 7748 §6.1): a low-order share.
    return null;
  }
  if (ssX.every((b) => b === 0)) return null;
  const ssM = decapsulate(sk.mlkem, ctM);
  const sharedSecret = combine(ssM, ssX, ctX, sk.x25519Public);
  ssM.fill(0);
  ssX.fill(0);
  return sharedSecret;
}

/** The X-Wing combiner (§5.3): SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ label). */
function combine(ssM: Uint8Array, ssX: Uint8Array, ctX: Uint8Array, pkX: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash("sha3-256").update(ssM).update(ssX).update(ctX).update(pkX).update(XWING_LABEL).digest(),
  );
}
