/**
 * A software P-256 key behind the {@link P256KeyAgreement} interface, and its identity file format.
 *
 * No standard exists for a software `age1tag1` identity (c2sp.org/age §The tagged recipient types leaves
 * identities to hardware plugins), so Edgeward uses standard pieces: the key as a PKCS#8 PEM block
 * (RFC 5958, RFC 7468 §10) inside an age-keygen-style file whose comments name the recipient:
 *
 *     # created: 2026-05-01T12:00:00Z
 *     # public key: age1tag1…
 *     # software P-256 key: the private key is in this file, not in hardware
 *     -----BEGIN PRIVATE KEY-----
 *     …
 *     -----END PRIVATE KEY-----
 *
 * It exists for tests and for devices without a TPM; it says `hardwareBacked: false`.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { P256_POINT_LENGTH } from "./dhkem-p256.ts";
import { createP256TagIdentity, p256TagRecipient } from "./p256tag.ts";
import type { P256KeyAgreement } from "./types.ts";
import type { SoftwareAgeIdentity } from "./x25519.ts";

/** Wraps a P-256 private KeyObject as a key agreement (software, not hardware-backed). */
export function createSoftwareP256KeyAgreement(privateKey: KeyObject): P256KeyAgreement {
  if (privateKey.asymmetricKeyType !== "ec" || privateKey.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new EdgewardError("EW_ERR_AGE_IDENTITY", { detail: "the PEM key is not a P-256 key" });
  }
  const publicKey = new Uint8Array(createPublicKey(privateKey).export({ format: "raw-public" }));
  return {
    publicKey,
    hardwareBacked: false,
    description: "software P-256 key (not hardware-backed)",
    deriveSharedSecret(peer: Uint8Array): Promise<Uint8Array> {
      // HPKE's DeserializePublicKey accepts only the uncompressed form (RFC 9180 §7.1.1); node:crypto then
      // checks that the point is on the curve (SEC 1 §3.2.2).
      if (peer.length !== P256_POINT_LENGTH || peer[0] !== 0x04) return Promise.reject(badShare());
      let publicPeer: KeyObject;
      try {
        publicPeer = createPublicKey({
          key: Buffer.from(peer),
          format: "raw-public",
          asymmetricKeyType: "ec",
          namedCurve: "P-256",
        });
      } catch {
        return Promise.reject(badShare());
      }
      return Promise.resolve(new Uint8Array(diffieHellman({ privateKey, publicKey: publicPeer })));
    },
  };
}

/** Generates a software P-256 identity file; returns its text and recipient. */
export function generateP256IdentityText(): { identityText: string; recipient: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const recipient = p256TagRecipient(new Uint8Array(publicKey.export({ format: "raw-public" })));
  const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const identityText =
    `# created: ${createdStamp()}\n# public key: ${recipient}\n` +
    `# software P-256 key: the private key is in this file, not in hardware\n${pem}`;
  return { identityText, recipient };
}

/** Parses one PKCS#8 PEM block as a software `age1tag1` identity. */
export function parseP256IdentityPem(pem: string): SoftwareAgeIdentity {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem", type: "pkcs8" });
  } catch (err) {
    throw new EdgewardError("EW_ERR_AGE_IDENTITY", { detail: "the PEM block is not a PKCS#8 private key", cause: err });
  }
  return createP256TagIdentity(createSoftwareP256KeyAgreement(key));
}

/** An RFC 3339 timestamp without fractional seconds, as age-keygen writes it. */
export function createdStamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

function badShare(): EdgewardError {
  return new EdgewardError("EW_ERR_AGE_HEADER_RECIPIENT", { detail: "p256tag stanza: enc is not a P-256 point" });
}
