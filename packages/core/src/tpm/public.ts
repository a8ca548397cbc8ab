/**
 * TPMT_PUBLIC and TPM2B_PUBLIC (TPM 2.0 Part 2 §12.2.4, §12.2.5): the public area of a TPM object, its name, and
 * its key as a node:crypto KeyObject.
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { hashByAlg, TPM_ALG, TPM_ECC, TPMA_OBJECT, type TpmObjectAttribute } from "./constants.ts";
import { TpmReader, TpmWriter, concat } from "./marshal.ts";

/** A symmetric definition (TPMT_SYM_DEF_OBJECT, Part 2 §11.1.7); `algorithm` is TPM_ALG.NULL when absent. */
export interface TpmSymDef {
  readonly algorithm: number;
  readonly keyBits: number;
  readonly mode: number;
}

/** A parsed TPMT_PUBLIC. `bytes` is the exact marshalled TPMT_PUBLIC the name is computed over. */
export interface TpmPublic {
  readonly type: number;
  readonly nameAlg: number;
  readonly attributes: number;
  readonly authPolicy: Uint8Array;
  readonly symmetric: TpmSymDef;
  /** The key's scheme (TPM_ALG.NULL when none) and its hash (0 when none). */
  readonly scheme: { readonly alg: number; readonly hash: number };
  /** RSA only. */
  readonly rsa?: { readonly keyBits: number; readonly exponent: number; readonly modulus: Uint8Array };
  /** ECC only: curve and point coordinates. */
  readonly ecc?: { readonly curve: number; readonly kdf: number; readonly x: Uint8Array; readonly y: Uint8Array };
  /** KEYEDHASH and SYMCIPHER only: the unique digest. */
  readonly unique?: Uint8Array;
  readonly bytes: Uint8Array;
}

/** Reads a TPMT_PUBLIC from `r`. */
export function readPublic(r: TpmReader): TpmPublic {
  const start = r.offset;
  const type = r.u16();
  const nameAlg = r.u16();
  const attributes = r.u32();
  const authPolicy = r.tpm2b(64, "authPolicy");
  let symmetric: TpmSymDef = { algorithm: TPM_ALG.NULL, keyBits: 0, mode: 0 };
  let scheme = { alg: TPM_ALG.NULL as number, hash: 0 };
  let rsa: TpmPublic["rsa"];
  let ecc: TpmPublic["ecc"];
  let unique: Uint8Array | undefined;
  switch (type) {
    case TPM_ALG.RSA: {
      symmetric = readSymDef(r);
      scheme = readScheme(r);
      const keyBits = r.u16();
      const exponent = r.u32();
      const modulus = r.tpm2b(512, "TPM2B_PUBLIC_KEY_RSA");
      rsa = { keyBits, exponent, modulus };
      break;
    }
    case TPM_ALG.ECC: {
      symmetric = readSymDef(r);
      scheme = readScheme(r);
      const curve = r.u16();
      const kdf = readScheme(r).alg;
      const x = r.tpm2b(128, "ECC x");
      const y = r.tpm2b(128, "ECC y");
      ecc = { curve, kdf, x, y };
      break;
    }
    case TPM_ALG.KEYEDHASH: {
      const alg = r.u16();
      if (alg === TPM_ALG.HMAC) scheme = { alg, hash: r.u16() };
      else if (alg === TPM_ALG.XOR) {
        scheme = { alg, hash: r.u16() };
        r.u16(); // kdf
      } else if (alg !== TPM_ALG.NULL) r.fail(`keyedhash scheme 0x${alg.toString(16)}`);
      unique = r.tpm2b(64, "unique");
      break;
    }
    case TPM_ALG.SYMCIPHER:
      symmetric = readSymDef(r);
      unique = r.tpm2b(64, "unique");
      break;
    default:
      r.fail(`object type 0x${type.toString(16)}`);
  }
  if (hashByAlg(nameAlg) === undefined) r.fail(`nameAlg 0x${nameAlg.toString(16)}`);
  const bytes = r.slice(start, r.offset);
  return {
    type,
    nameAlg,
    attributes,
    authPolicy,
    symmetric,
    scheme,
    bytes,
    ...(rsa !== undefined ? { rsa } : {}),
    ...(ecc !== undefined ? { ecc } : {}),
    ...(unique !== undefined ? { unique } : {}),
  };
}

/** Parses a TPMT_PUBLIC that fills `bytes` exactly. */
export function parsePublic(bytes: Uint8Array): TpmPublic {
  const r = new TpmReader(bytes, "TPMT_PUBLIC");
  const p = readPublic(r);
  r.end();
  return p;
}

/** Parses a TPM2B_PUBLIC (what `tpm2_create -u` and `tpm2_readpublic -o` write). */
export function parseTpm2bPublic(bytes: Uint8Array): TpmPublic {
  const r = new TpmReader(bytes, "TPM2B_PUBLIC");
  const size = r.u16();
  if (size !== r.remaining) r.fail(`size ${size} but ${r.remaining} bytes follow`);
  const p = readPublic(r);
  r.end();
  return p;
}

/** TPM2B_PUBLIC bytes for a parsed public area. */
export function marshalTpm2bPublic(pub: TpmPublic): Uint8Array {
  return new TpmWriter().tpm2b(pub.bytes).finish();
}

/** The object's name: nameAlg ‖ H_nameAlg(TPMT_PUBLIC) (Part 1 §16 "Names"). */
export function objectName(pub: TpmPublic): Uint8Array {
  const hash = hashByAlg(pub.nameAlg);
  if (hash === undefined) throw new EdgewardError("EW_ERR_TPM_UNSUPPORTED_ALG", { detail: "nameAlg" });
  return concat([new TpmWriter().u16(hash.alg).finish(), createHash(hash.name).update(pub.bytes).digest()]);
}

/**
 * A qualified name: nameAlg ‖ H(parentQualifiedName ‖ name) (Part 1 §16.4). For a primary key the parent's
 * qualified name is its hierarchy handle (4 bytes, e.g. TPM_RH_OWNER).
 */
export function qualifiedName(parentQualifiedName: Uint8Array, name: Uint8Array): Uint8Array {
  const alg = ((name[0] ?? 0) << 8) | (name[1] ?? 0);
  const hash = hashByAlg(alg);
  if (hash === undefined) throw new EdgewardError("EW_ERR_TPM_UNSUPPORTED_ALG", { detail: "name algorithm" });
  const digest = createHash(hash.name).update(parentQualifiedName).update(name).digest();
  return concat([name.subarray(0, 2), digest]);
}

/** True when every attribute in `names` is set. */
export function hasAttributes(pub: TpmPublic, ...names: TpmObjectAttribute[]): boolean {
  return names.every((n) => (pub.attributes & TPMA_OBJECT[n]) !== 0);
}

/** The attribute names set on the object, in bit order (for messages). */
export function attributeNames(attributes: number): TpmObjectAttribute[] {
  return (Object.keys(TPMA_OBJECT) as TpmObjectAttribute[]).filter((n) => (attributes & TPMA_OBJECT[n]) !== 0);
}

const CURVES: Record<number, { crv: string; size: number }> = {
  [TPM_ECC.NIST_P256]: { crv: "P-256", size: 32 },
  [TPM_ECC.NIST_P384]: { crv: "P-384", size: 48 },
  [TPM_ECC.NIST_P521]: { crv: "P-521", size: 66 },
};

/** The curve name (JWK `crv`) and field size of a TPM curve, or undefined. */
export function curveInfo(curve: number): { crv: string; size: number } | undefined {
  return CURVES[curve];
}

/**
 * The object's public key for node:crypto. RSA keys of at least 2048 bits and ECC keys on NIST P-256/384/521 are
 * accepted; anything else is EW_ERR_TPM_UNSUPPORTED_ALG, and a point off the curve is EW_ERR_TPM_PARSE.
 */
export function publicKeyOf(pub: TpmPublic): KeyObject {
  try {
    if (pub.rsa !== undefined) {
      if (pub.rsa.keyBits < 2048 || pub.rsa.modulus.length * 8 !== pub.rsa.keyBits)
        throw new EdgewardError("EW_ERR_TPM_UNSUPPORTED_ALG", { detail: `RSA ${pub.rsa.keyBits}` });
      // Part 2 §12.2.3.5: an exponent of zero means the default, 2^16 + 1.
      const e = pub.rsa.exponent === 0 ? 65537 : pub.rsa.exponent;
      const hex = e.toString(16);
      const eBytes = Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, "hex");
      return createPublicKey({ key: { kty: "RSA", n: b64u(pub.rsa.modulus), e: b64u(eBytes) }, format: "jwk" });
    }
    if (pub.ecc !== undefined) {
      const info = CURVES[pub.ecc.curve];
      if (info === undefined)
        throw new EdgewardError("EW_ERR_TPM_UNSUPPORTED_ALG", { detail: `curve ${pub.ecc.curve}` });
      if (pub.ecc.x.length > info.size || pub.ecc.y.length > info.size)
        throw new EdgewardError("EW_ERR_TPM_PARSE", { detail: "ECC coordinate longer than the field" });
      const jwk = { kty: "EC", crv: info.crv, x: b64u(pad(pub.ecc.x, info.size)), y: b64u(pad(pub.ecc.y, info.size)) };
      return createPublicKey({ key: jwk, format: "jwk" });
    }
  } catch (err) {
    if (err instanceof EdgewardError) throw err;
    throw new EdgewardError("EW_ERR_TPM_PARSE", { detail: "public key is not a valid point or modulus", cause: err });
  }
  throw new EdgewardError("EW_ERR_TPM_UNSUPPORTED_ALG", { detail: "object has no asymmetric key" });
}

/** An ECC public point as an uncompressed SEC1 point (0x04 ‖ X ‖ Y), padded to the field size. */
export function eccPointSec1(pub: TpmPublic): Uint8Array {
  const info = pub.ecc === undefined ? undefined : CURVES[pub.ecc.curve];
  if (pub.ecc === undefined || info === undefined)
    throw new EdgewardError("EW_ERR_TPM_UNSUPPORTED_ALG", { detail: "not an ECC key on a NIST curve" });
  return concat([Uint8Array.of(4), pad(pub.ecc.x, info.size), pad(pub.ecc.y, info.size)]);
}

/** Left-pads big-endian bytes with zeros to `size`. */
export function pad(bytes: Uint8Array, size: number): Uint8Array {
  if (bytes.length >= size) return bytes;
  const out = new Uint8Array(size);
  out.set(bytes, size - bytes.length);
  return out;
}

function readSymDef(r: TpmReader): TpmSymDef {
  const algorithm = r.u16();
  if (algorithm === TPM_ALG.NULL) return { algorithm, keyBits: 0, mode: 0 };
  if (algorithm === TPM_ALG.XOR) return { algorithm, keyBits: r.u16(), mode: 0 };
  return { algorithm, keyBits: r.u16(), mode: r.u16() };
}

/** TPMT_{RSA,ECC,KDF}_SCHEME: an algorithm, then its hash unless it is NULL (ECDAA adds a count). */
function readScheme(r: TpmReader): { alg: number; hash: number } {
  const alg = r.u16();
  if (alg === TPM_ALG.NULL || alg === TPM_ALG.RSAES) return { alg, hash: 0 };
  const hash = r.u16();
  if (alg === TPM_ALG.ECDAA) r.u16();
  return { alg, hash };
}

function b64u(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}
