/**
 * The device's software keys, kept sealed by the TPM (ARCHITECTURE.md promise 4: the mTLS key is generated on the
 * device; promise 10: the device log's signing key). Only the 32-byte private scalar or seed is sealed
 * (TPM2_Create of a KEYEDHASH data object under the PCR policy, Part 3 §12.1); it is unsealed into memory when the
 * agent starts, turned into a KeyObject, and the unsealed bytes are overwritten at once.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { EdgewardError, type PcrSelection } from "@edgeward/core";
import { ed25519Signer, type NoteSigner } from "@edgeward/tlog";
import type { TpmDevice, WrappedObject } from "@edgeward/tpm";

/** A P-256 key whose scalar the TPM sealed. */
export interface SealedP256 {
  readonly sealed: WrappedObject;
  /** SubjectPublicKeyInfo DER: public, kept in the clear. */
  readonly spki: Uint8Array;
}

/** Generates a P-256 key for mTLS and seals its private scalar under `pcrs` (their current values). */
export async function createSealedP256(tpm: TpmDevice, pcrs: PcrSelection): Promise<SealedP256> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const d = Buffer.from(privateKey.export({ format: "jwk" }).d ?? "", "base64url");
  try {
    const sealed = await tpm.seal(d, pcrs);
    return { sealed, spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })) };
  } finally {
    d.fill(0);
  }
}

// RFC 5915 ECPrivateKey for P-256 around a 32-byte scalar and a 65-byte public point (SEC 1 §C.4).
const SEC1_HEAD = Buffer.from("30770201010420", "hex");
const SEC1_MID = Buffer.from("a00a06082a8648ce3d030107a144034200", "hex");

/** Unseals the scalar (EW_ERR_TPM_POLICY after a boot or tamper change) and returns the private KeyObject. */
export async function openSealedP256(tpm: TpmDevice, key: SealedP256): Promise<KeyObject> {
  const d = await tpm.unseal(key.sealed);
  const point = createPublicKey({ key: Buffer.from(key.spki), format: "der", type: "spki" }).export({
    format: "jwk",
  });
  const xy = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(point.x ?? "", "base64url"),
    Buffer.from(point.y ?? "", "base64url"),
  ]);
  const der = Buffer.concat([SEC1_HEAD, d, SEC1_MID, xy]);
  try {
    if (d.length !== 32 || xy.length !== 65)
      throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: "sealed P-256 key has the wrong size" });
    const privateKey = createPrivateKey({ key: der, format: "der", type: "sec1" });
    // A sealed scalar that does not match the stored public key is a state directory from somewhere else.
    const derived = createPublicKey(privateKey).export({ format: "der", type: "spki" });
    if (!derived.equals(Buffer.from(key.spki)))
      throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: "sealed key does not match its public key" });
    return privateKey;
  } finally {
    d.fill(0);
    der.fill(0);
  }
}

/** The device log's Ed25519 seed, sealed. */
export interface SealedNoteKey {
  readonly sealed: WrappedObject;
  /** The note verifier key (`name+keyid+base64`): public. */
  readonly vkey: string;
}

/** Generates the device log's note key (c2sp.org/signed-note, Ed25519) and seals its seed under `pcrs`. */
export async function createSealedNoteKey(tpm: TpmDevice, name: string, pcrs: PcrSelection): Promise<SealedNoteKey> {
  const seed = new Uint8Array(randomBytes(32));
  try {
    const vkey = ed25519Signer(name, seed).vkey;
    return { sealed: await tpm.seal(seed, pcrs), vkey };
  } finally {
    seed.fill(0);
  }
}

/** Unseals the log key and returns its signer; EW_ERR_AGENT_STATE when it is not the key the log was made with. */
export async function openSealedNoteKey(tpm: TpmDevice, name: string, key: SealedNoteKey): Promise<NoteSigner> {
  const seed = await tpm.unseal(key.sealed);
  try {
    const signer = ed25519Signer(name, seed);
    if (signer.vkey !== key.vkey)
      throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: "sealed log key does not match its verifier key" });
    return signer;
  } finally {
    seed.fill(0);
  }
}
