// Simulated TPM devices for the hub attestation benchmark, so the hub, not swtpm, is measured: each has a P-256
// AK whose TPM2B_PUBLIC, quotes (TPMS_ATTEST, TPM 2.0 Part 2 §10.12.12) and signatures (TPMT_SIGNATURE, §11.3.4)
// are marshalled exactly as a TPM would, signed by node:crypto. Not a TPM: keys are ordinary process memory.
import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import {
  objectName,
  parsePcrSelectionText,
  parseTpm2bPublic,
  pcrDigest,
  qualifiedName,
  TpmWriter,
  writePcrSelection,
  type PcrValues,
} from "@edgeward/core";

/** The PCR selection every benchmark device is asked to quote. */
export const BENCH_PCRS = "sha256:0,1,2,3,4,5,6,7";

/** All-zero PCR values for {@link BENCH_PCRS}, what every simulated device holds and the group expects. */
export const BENCH_PCR_VALUES: PcrValues = {
  sha256: Object.fromEntries(parsePcrSelectionText(BENCH_PCRS)[0]!.pcrs.map((i) => [i, new Uint8Array(32)])),
};

const TPM_ALG_ECC = 0x0023;
const TPM_ALG_SHA256 = 0x000b;
const TPM_ALG_NULL = 0x0010;
const TPM_ALG_ECDSA = 0x0018;
const TPM_ECC_NIST_P256 = 0x0003;
// fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | restricted | sign (Part 2 §8.3 TPMA_OBJECT).
const AK_ATTRIBUTES = 0x2 | 0x10 | 0x20 | 0x40 | 0x10000 | 0x40000;
const TPM_GENERATED = 0xff544347;
const TPM_ST_ATTEST_QUOTE = 0x8018;
const TPM_RH_ENDORSEMENT = Uint8Array.of(0x40, 0x00, 0x00, 0x0b);

/** A simulated device's attestation key and PCRs. */
export class SimulatedTpm {
  readonly akPublic: Uint8Array;
  readonly qualifiedSigner: Uint8Array;
  readonly #key: KeyObject;
  readonly pcrs: PcrValues;
  #clock = 1000n;

  /** `key`: the AK's P-256 private key (a new one when absent), so a fleet made in one process can run in another. */
  constructor(pcrs: PcrValues, key?: KeyObject) {
    const privateKey = key ?? generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const publicKey = createPublicKey(privateKey);
    const jwk = publicKey.export({ format: "jwk" });
    const x = Buffer.from(jwk.x ?? "", "base64url");
    const y = Buffer.from(jwk.y ?? "", "base64url");
    const tpmt = new TpmWriter()
      .u16(TPM_ALG_ECC)
      .u16(TPM_ALG_SHA256)
      .u32(AK_ATTRIBUTES)
      .tpm2b(new Uint8Array(0))
      .u16(TPM_ALG_NULL) // symmetric
      .u16(TPM_ALG_ECDSA)
      .u16(TPM_ALG_SHA256) // scheme
      .u16(TPM_ECC_NIST_P256)
      .u16(TPM_ALG_NULL) // kdf
      .tpm2b(x)
      .tpm2b(y)
      .finish();
    this.akPublic = new TpmWriter().tpm2b(tpmt).finish();
    this.qualifiedSigner = qualifiedName(TPM_RH_ENDORSEMENT, objectName(parseTpm2bPublic(this.akPublic)));
    this.#key = privateKey;
    this.pcrs = pcrs;
  }

  /** TPM2_Quote over `selectionText` with `nonce` as qualifying data: the TPMS_ATTEST bytes and TPMT_SIGNATURE. */
  quote(selectionText: string, nonce: Uint8Array): { attest: Uint8Array; signature: Uint8Array } {
    const selection = parsePcrSelectionText(selectionText);
    this.#clock += 1000n;
    const w = new TpmWriter().u32(TPM_GENERATED).u16(TPM_ST_ATTEST_QUOTE).tpm2b(this.qualifiedSigner).tpm2b(nonce);
    const clock = Buffer.alloc(8);
    clock.writeBigUInt64BE(this.#clock);
    w.bytes(clock).u32(1).u32(0).u8(1).bytes(Buffer.alloc(8));
    writePcrSelection(w, selection).tpm2b(pcrDigest(this.pcrs, selection, "sha256"));
    const attest = w.finish();
    const rs = sign("sha256", attest, { key: this.#key, dsaEncoding: "ieee-p1363" });
    const signature = new TpmWriter()
      .u16(TPM_ALG_ECDSA)
      .u16(TPM_ALG_SHA256)
      .tpm2b(rs.subarray(0, 32))
      .tpm2b(rs.subarray(32))
      .finish();
    return { attest, signature };
  }
}
