/**
 * The X25519 recipient type (c2sp.org/age §The X25519 recipient type): `age1…` recipients,
 * `AGE-SECRET-KEY-1…` identities and the `X25519` stanza.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { chachaOpen, chachaSeal } from "./aead.ts";
import { encodeBase64NoPad } from "./base64.ts";
import { bech32Encode } from "./bech32.ts";
import { concatBytes, hkdfSha256 } from "./kdf.ts";
import { decodeStanzaArgs, invalid } from "./stanza-checks.ts";
import type { AgeIdentity, AgeRecipient, Stanza } from "./types.ts";

/** The first stanza argument (case-sensitive). */
export const X25519_STANZA = "X25519";
const INFO = "age-encryption.org/v1/X25519";
const ZERO_NONCE = new Uint8Array(12);

/** An identity that also knows its own recipient string (every software identity here does). */
export interface SoftwareAgeIdentity extends AgeIdentity {
  /** The recipient (public key) string that seals to this identity. */
  readonly recipient: string;
}

/** Builds the recipient for a 32-byte X25519 public key. */
export function x25519Recipient(publicKey: Uint8Array): AgeRecipient {
  const peer = createPublicKey({ key: Buffer.from(publicKey), format: "raw-public", asymmetricKeyType: "x25519" });
  const recipient = bech32Encode("age", publicKey);
  return {
    recipient,
    wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
      // §X25519 recipient stanza: a fresh ephemeral secret per stanza and per file.
      const ephemeral = generateKeyPairSync("x25519");
      const share = new Uint8Array(ephemeral.publicKey.export({ format: "raw-public" }));
      const secret = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: peer });
      const wrapKey = hkdfSha256(secret, concatBytes(share, publicKey), INFO);
      secret.fill(0);
      const body = chachaSeal(wrapKey, ZERO_NONCE, fileKey);
      wrapKey.fill(0);
      return Promise.resolve([{ type: X25519_STANZA, args: [encodeBase64NoPad(share)], body }]);
    },
  };
}

/** Builds the identity for a 32-byte X25519 secret (the caller may zero `secret` afterwards). */
export function x25519Identity(secret: Uint8Array): SoftwareAgeIdentity {
  const raw = Buffer.from(secret);
  const privateKey = createPrivateKey({ key: raw, format: "raw-private", asymmetricKeyType: "x25519" });
  raw.fill(0);
  const publicKey = new Uint8Array(createPublicKey(privateKey).export({ format: "raw-public" }));
  const recipient = bech32Encode("age", publicKey);
  return {
    recipient,
    description: `X25519 identity for ${recipient}`,
    hardwareBacked: false,
    unwrapFileKey: (stanzas) => Promise.resolve(unwrap(privateKey, publicKey, stanzas)),
  };
}

/** Generates a fresh X25519 secret as raw bytes (age-keygen's `identity = read(CSPRNG, 32)`). */
export function generateX25519Secret(): Uint8Array {
  const key = generateKeyPairSync("x25519").privateKey;
  const raw = key.export({ format: "raw-private" });
  const secret = new Uint8Array(raw);
  raw.fill(0);
  return secret;
}

function unwrap(privateKey: KeyObject, publicKey: Uint8Array, stanzas: readonly Stanza[]): Uint8Array | null {
  for (const stanza of stanzas) {
    // "MUST ignore any stanza that does not have X25519 as the first argument" (case-sensitive).
    if (stanza.type !== X25519_STANZA) continue;
    const [share] = decodeStanzaArgs(stanza, [32]);
    if (share === undefined) continue;
    const secret = x25519(privateKey, share);
    // "If the shared secret is all 0x00 bytes, the identity implementation MUST abort."
    if (secret === null) throw invalid(stanza, "the share is a low-order point");
    const wrapKey = hkdfSha256(secret, concatBytes(share, publicKey), INFO);
    secret.fill(0);
    const fileKey = chachaOpen(wrapKey, ZERO_NONCE, stanza.body);
    wrapKey.fill(0);
    if (fileKey !== null) return fileKey;
  }
  return null;
}

/** X25519(identity, share), or null when the result would be all zeros (a low-order share). */
function x25519(privateKey: KeyObject, share: Uint8Array): Uint8Array | null {
  let secret: Buffer;
  try {
    const peer = createPublicKey({ key: Buffer.from(share), format: "raw-public", asymmetricKeyType: "x25519" });
    secret = diffieHellman({ privateKey, publicKey: peer });
  } catch (err) {
    // OpenSSL refuses to output an all-zero X25519 secret; any other failure is unexpected.
    if ((err as { code?: string }).code === "ERR_OSSL_FAILED_DURING_DERIVATION") return null;
    throw new EdgewardError("EW_ERR_INTERNAL", { cause: err });
  }
  return secret.every((b) => b === 0) ? null : new Uint8Array(secret);
}
