/**
 * The hybrid post-quantum recipient type (c2sp.org/age §The MLKEM768-X25519 (i.e. X-Wing) hybrid
 * post-quantum recipient type): `age1pq1…` recipients, `AGE-SECRET-KEY-PQ-1…` identities and the
 * `mlkem768x25519` stanza, HPKE SealBase/OpenBase with the X-Wing KEM.
 */
import { randomBytes } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { encodeBase64NoPad } from "./base64.ts";
import { bech32Encode } from "./bech32.ts";
import { KEM_ID, hpkeOpen, hpkeSeal } from "./hpke.ts";
import { decodeStanzaArgs, invalid } from "./stanza-checks.ts";
import type { AgeRecipient, Stanza } from "./types.ts";
import type { SoftwareAgeIdentity } from "./x25519.ts";
import { XWING, expandXWingSeed, parseXWingPublicKey, xwingDecapsulate, xwingEncapsulate } from "./x-wing.ts";

/** The first stanza argument (case-sensitive). */
export const HYBRID_STANZA = "mlkem768x25519";
const INFO = "age-encryption.org/mlkem768x25519";

/** Builds the recipient for a 1216-byte X-Wing encapsulation key; throws EW_ERR_AGE_RECIPIENT when invalid. */
export function hybridRecipient(publicKey: Uint8Array): AgeRecipient {
  const pk = parseXWingPublicKey(publicKey);
  if (pk === null) throw new EdgewardError("EW_ERR_AGE_RECIPIENT", { detail: "invalid ML-KEM-768 encapsulation key" });
  const recipient = bech32Encode("age1pq", publicKey);
  return {
    recipient,
    wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
      // §mlkem768x25519 recipient stanza: SealBase(pkR = recipient, info, aad = "").
      const { sharedSecret, enc } = xwingEncapsulate(pk);
      const body = hpkeSeal(KEM_ID.mlkem768x25519, sharedSecret, INFO, fileKey);
      sharedSecret.fill(0);
      return Promise.resolve([{ type: HYBRID_STANZA, args: [encodeBase64NoPad(enc)], body }]);
    },
  };
}

/** Builds the identity for a 32-byte X-Wing seed. */
export function hybridIdentity(seed: Uint8Array): SoftwareAgeIdentity {
  const sk = expandXWingSeed(seed);
  const recipient = bech32Encode("age1pq", sk.publicKey);
  return {
    recipient,
    description: `ML-KEM-768+X25519 identity for ${recipient.slice(0, 24)}…`,
    hardwareBacked: false,
    unwrapFileKey(stanzas: readonly Stanza[]): Promise<Uint8Array | null> {
      for (const stanza of stanzas) {
        if (stanza.type !== HYBRID_STANZA) continue;
        const [enc] = decodeStanzaArgs(stanza, [XWING.ciphertextLength]);
        if (enc === undefined) continue;
        const sharedSecret = xwingDecapsulate(sk, enc);
        // The hpke-pq X25519 component rejects an all-zero DH output, as DHKEM does (RFC 9180 §7.1.4).
        if (sharedSecret === null) throw invalid(stanza, "the X25519 share is a low-order point");
        const fileKey = hpkeOpen(KEM_ID.mlkem768x25519, sharedSecret, INFO, stanza.body);
        sharedSecret.fill(0);
        if (fileKey !== null) return Promise.resolve(fileKey);
      }
      return Promise.resolve(null);
    },
  };
}

/** Generates a fresh hybrid identity seed (`identity = read(CSPRNG, 32)`). */
export function generateHybridSeed(): Uint8Array {
  return new Uint8Array(randomBytes(XWING.seedLength));
}
