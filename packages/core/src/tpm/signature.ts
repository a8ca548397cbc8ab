/**
 * TPMT_SIGNATURE (TPM 2.0 Part 2 §11.3.4) and its verification with node:crypto. ECDSA, RSASSA-PKCS1-v1_5 and
 * RSA-PSS are accepted; SHA-1 signatures are refused (a verifier must not accept what it cannot trust).
 */
import { constants, verify, type KeyObject } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { hashByAlg, TPM_ALG, type TpmHash } from "./constants.ts";
import { concat, TpmReader } from "./marshal.ts";

/** A parsed TPMT_SIGNATURE. */
export type TpmSignature =
  | { readonly alg: typeof TPM_ALG.ECDSA; readonly hash: TpmHash; readonly r: Uint8Array; readonly s: Uint8Array }
  | {
      readonly alg: typeof TPM_ALG.RSASSA | typeof TPM_ALG.RSAPSS;
      readonly hash: TpmHash;
      readonly signature: Uint8Array;
    };

/** Reads a TPMT_SIGNATURE. Unknown or unaccepted schemes fail with EW_ERR_TPM_UNSUPPORTED_ALG. */
export function readSignature(rd: TpmReader): TpmSignature {
  const alg = rd.u16();
  if (alg !== TPM_ALG.ECDSA && alg !== TPM_ALG.RSASSA && alg !== TPM_ALG.RSAPSS)
    throw new EdgewardError("EW_ERR_TPM_UNSUPPORTED_ALG", { detail: `signature scheme 0x${alg.toString(16)}` });
  const hashAlg = rd.u16();
  const hash = hashByAlg(hashAlg);
  if (hash === undefined || hash.name === "sha1")
    throw new EdgewardError("EW_ERR_TPM_UNSUPPORTED_ALG", { detail: `signature hash 0x${hashAlg.toString(16)}` });
  if (alg === TPM_ALG.ECDSA) {
    const r = rd.tpm2b(128, "ECDSA r");
    const s = rd.tpm2b(128, "ECDSA s");
    return { alg, hash, r, s };
  }
  return { alg, hash, signature: rd.tpm2b(512, "RSA signature") };
}

/** Parses a TPMT_SIGNATURE that fills `bytes` exactly (the file `tpm2_quote -s` writes by default). */
export function parseSignature(bytes: Uint8Array): TpmSignature {
  const rd = new TpmReader(bytes, "TPMT_SIGNATURE");
  const sig = readSignature(rd);
  rd.end();
  return sig;
}

/**
 * True when `sig` is a valid signature by `key` over `message`. A scheme that does not fit the key type is false,
 * never an exception: the caller maps false to its own code (EW_ERR_QUOTE_SIGNATURE, EW_ERR_TPM_CERTIFY_SIGNATURE).
 */
export function verifyTpmSignature(sig: TpmSignature, message: Uint8Array, key: KeyObject): boolean {
  const type = key.asymmetricKeyType;
  try {
    if (sig.alg === TPM_ALG.ECDSA) {
      if (type !== "ec") return false;
      const size = fieldSize(key);
      if (sig.r.length > size || sig.s.length > size) return false;
      // DER, not dsaEncoding "ieee-p1363": node:crypto's P1363 path costs about a third of the throughput.
      return verify(sig.hash.name, message, key, ecdsaDer(sig.r, sig.s));
    }
    if (type !== "rsa") return false;
    if (sig.alg === TPM_ALG.RSASSA)
      return verify(sig.hash.name, message, { key, padding: constants.RSA_PKCS1_PADDING }, sig.signature);
    // TPM 2.0 Part 1 §B.7 lets the TPM pick the salt length (hash size, or the maximum on older TPMs): accept both.
    return verify(
      sig.hash.name,
      message,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
      sig.signature,
    );
  } catch {
    // node:crypto throws on malformed signature encodings; that is a failed verification, not a crash.
    return false;
  }
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3), DER, from big-endian r and s. */
export function ecdsaDer(r: Uint8Array, s: Uint8Array): Uint8Array {
  const ri = derInteger(r);
  const si = derInteger(s);
  const body = ri.length + si.length;
  const head = body < 0x80 ? [0x30, body] : [0x30, 0x81, body];
  return concat([Uint8Array.from(head), ri, si]);
}

/** A non-negative DER INTEGER: leading zeros stripped, one zero added when the top bit is set. */
function derInteger(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const body = v.subarray(i);
  const lead = body.length === 0 || (body[0] ?? 0) & 0x80 ? [0] : [];
  return concat([Uint8Array.of(0x02, body.length + lead.length, ...lead), body]);
}

const FIELD: Record<string, number> = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };

function fieldSize(key: KeyObject): number {
  const curve = key.asymmetricKeyDetails?.namedCurve ?? "";
  const size = FIELD[curve];
  if (size === undefined) throw new EdgewardError("EW_ERR_TPM_UNSUPPORTED_ALG", { detail: `curve ${curve}` });
  return size;
}
