import { sign, verify, type KeyObject } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { ecdsaDigestFor } from "./keys.ts";

/**
 * DSSE pre-authentication encoding (DSSE v1.0.0 protocol.md, "Signature definition"):
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII decimal byte counts. Signing the PAE
 * rather than the payload binds the payload type, so a statement cannot be replayed as another type.
 */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  const head = Buffer.from(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `, "utf8");
  return Buffer.concat([head, payload]);
}

/** Signs the PAE of `payload` with an EC key: an ASN.1 DER ECDSA signature, as OMS key-based signers write. */
export function signPae(payloadType: string, payload: Uint8Array, privateKey: KeyObject): Buffer {
  const digest = ecdsaDigestFor(privateKey);
  if (digest === undefined) throw new EdgewardError("EW_ERR_SIG_KEY_INVALID", { detail: "not an EC key" });
  return sign(digest, pae(payloadType, payload), { key: privateKey, dsaEncoding: "der" });
}

/**
 * Verifies a DER ECDSA signature over the PAE (DSSE protocol.md, "Protocol", verifier step 3). The digest follows
 * the key's curve. Throws EW_ERR_SIG_INVALID when it does not verify, whatever the reason (bad DER included).
 */
export function verifyPae(payloadType: string, payload: Uint8Array, signature: Uint8Array, publicKey: KeyObject): void {
  const digest = ecdsaDigestFor(publicKey);
  if (digest === undefined) throw new EdgewardError("EW_ERR_SIG_KEY_INVALID", { detail: "not an EC key" });
  let ok = false;
  try {
    ok = verify(digest, pae(payloadType, payload), { key: publicKey, dsaEncoding: "der" }, signature);
  } catch (err) {
    throw new EdgewardError("EW_ERR_SIG_INVALID", {
      detail: "the signature is not a valid ECDSA signature",
      cause: err,
    });
  }
  if (!ok) throw new EdgewardError("EW_ERR_SIG_INVALID");
}
