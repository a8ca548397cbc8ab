/**
 * TPM 2.0 constants Edgeward reads and writes (TPM 2.0 Part 2, "Structures", rev 1.59 and TCG Algorithm Registry).
 * Plain `as const` objects instead of enums, so Node's type stripping runs this file as written.
 */

/** TPM_GENERATED_VALUE, the magic every TPMS_ATTEST starts with (Part 2 §6.2). */
export const TPM_GENERATED_VALUE = 0xff544347;

/** TPM_ST attestation structure tags (Part 2 §6.9). */
export const TPM_ST = {
  ATTEST_NV: 0x8014,
  ATTEST_COMMAND_AUDIT: 0x8015,
  ATTEST_SESSION_AUDIT: 0x8016,
  ATTEST_CERTIFY: 0x8017,
  ATTEST_QUOTE: 0x8018,
  ATTEST_TIME: 0x8019,
  ATTEST_CREATION: 0x801a,
  ATTEST_NV_DIGEST: 0x801c,
} as const;

/** TPM_ALG_ID values used here (TCG Algorithm Registry; Part 2 §6.3). */
export const TPM_ALG = {
  RSA: 0x0001,
  SHA1: 0x0004,
  HMAC: 0x0005,
  AES: 0x0006,
  KEYEDHASH: 0x0008,
  XOR: 0x000a,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  SM3_256: 0x0012,
  SM4: 0x0013,
  RSASSA: 0x0014,
  RSAES: 0x0015,
  RSAPSS: 0x0016,
  OAEP: 0x0017,
  ECDSA: 0x0018,
  ECDH: 0x0019,
  ECDAA: 0x001a,
  SM2: 0x001b,
  ECSCHNORR: 0x001c,
  ECMQV: 0x001d,
  KDF1_SP800_56A: 0x0020,
  KDF2: 0x0021,
  KDF1_SP800_108: 0x0022,
  ECC: 0x0023,
  SYMCIPHER: 0x0025,
  CAMELLIA: 0x0026,
  CTR: 0x0040,
  OFB: 0x0041,
  CBC: 0x0042,
  CFB: 0x0043,
  ECB: 0x0044,
} as const;

/** TPM_ECC_CURVE identifiers (Part 2 §6.4). */
export const TPM_ECC = { NIST_P256: 0x0003, NIST_P384: 0x0004, NIST_P521: 0x0005 } as const;

/** TPMA_OBJECT bits (Part 2 §8.3.2). */
export const TPMA_OBJECT = {
  fixedTPM: 1 << 1,
  stClear: 1 << 2,
  fixedParent: 1 << 4,
  sensitiveDataOrigin: 1 << 5,
  userWithAuth: 1 << 6,
  adminWithPolicy: 1 << 7,
  noDA: 1 << 10,
  encryptedDuplication: 1 << 11,
  restricted: 1 << 16,
  decrypt: 1 << 17,
  sign: 1 << 18,
} as const;

/** The TPMA_OBJECT attribute names, for messages and for checks by name. */
export type TpmObjectAttribute = keyof typeof TPMA_OBJECT;

/** Command codes that appear inside policy digests (Part 2 §6.5.2). */
export const TPM_CC = {
  PolicyPCR: 0x0000017f,
  PolicyCommandCode: 0x0000016c,
  PolicySecret: 0x00000151,
  Certify: 0x00000148,
  ActivateCredential: 0x00000147,
} as const;

/** Permanent handles (Part 2 §7.4). */
export const TPM_RH = { OWNER: 0x40000001, ENDORSEMENT: 0x4000000b, PLATFORM: 0x4000000c } as const;

/** A PCR bank, named as tpm2-tools names it. */
export type PcrBank = "sha1" | "sha256" | "sha384" | "sha512";

/** A hash algorithm the verifier accepts, with its node:crypto name and digest size. */
export interface TpmHash {
  readonly alg: number;
  readonly name: PcrBank;
  readonly size: number;
}

const HASHES: readonly TpmHash[] = [
  { alg: TPM_ALG.SHA1, name: "sha1", size: 20 },
  { alg: TPM_ALG.SHA256, name: "sha256", size: 32 },
  { alg: TPM_ALG.SHA384, name: "sha384", size: 48 },
  { alg: TPM_ALG.SHA512, name: "sha512", size: 64 },
];

/** The hash for a TPM_ALG_ID, or undefined for any other algorithm. */
export function hashByAlg(alg: number): TpmHash | undefined {
  return HASHES.find((h) => h.alg === alg);
}

/** The hash for a bank name (`sha256`), or undefined. */
export function hashByName(name: string): TpmHash | undefined {
  return HASHES.find((h) => h.name === name);
}

/** Number of PCRs a PC-client TPM has per bank (TCG PC Client Platform TPM Profile §4.6). */
export const PCR_COUNT = 24;
