/**
 * The TPM as a device (ARCHITECTURE.md, "packages/tpm"): one interface, two implementations — tpm2-tools against a
 * real TPM or swtpm, and a software keystore for devices without one, which says so everywhere it is used.
 */
import type { PcrBank, PcrSelection, PcrValues } from "@edgeward/core";

/** What `edgeward tpm status` reports. */
export interface TpmStatus {
  readonly kind: "tpm2-tools" | "software";
  readonly hardwareBacked: boolean;
  /** TPM2_PT_MANUFACTURER as text (`IBM`, `IFX`, `STM`, …), or `software`. */
  readonly manufacturer: string;
  /** The vendor strings joined (`SW TPM`). */
  readonly vendor: string;
  /** TPM2_PT_FIRMWARE_VERSION_1 and _2 as hex. */
  readonly firmwareVersion: string;
  /** Family and revision, e.g. `2.0 rev 1.64`. */
  readonly specification: string;
  /** Banks with at least one active PCR. */
  readonly pcrBanks: readonly PcrBank[];
  /** Which EK certificates NV holds. */
  readonly ekCertificates: { readonly rsa: boolean; readonly ecc: boolean };
  /** The TCTI in use (tpm2-tools only). */
  readonly tcti?: string;
}

/**
 * A key or sealed secret wrapped by the device: usable only on the device that made it (a TPM's storage primary
 * key, or the software keystore's master key), only while the PCR policy holds.
 */
export interface WrappedObject {
  readonly kind: "tpm2" | "software";
  /** TPM: TPM2B_PUBLIC. Software: the uncompressed P-256 point, or empty for a sealed secret. */
  readonly public: Uint8Array;
  /** TPM: TPM2B_PRIVATE. Software: the AES-256-GCM wrapping (nonce ‖ ciphertext ‖ tag). */
  readonly private: Uint8Array;
  /** The PCRs the policy covers. */
  readonly pcrs: PcrSelection;
  /** H(expected PCR values) — the pcrDigest of the TPM2_PolicyPCR the object's policy was built from. */
  readonly pcrDigest: Uint8Array;
  /** The object's authPolicy (PolicyPCR digest). */
  readonly policyDigest: Uint8Array;
}

/**
 * An attestation key: a restricted ECDSA P-256 signing key, a primary key in the endorsement hierarchy (the device
 * re-derives it from the endorsement seed; only its public part is kept).
 */
export interface AttestationKey {
  /** TPM2B_PUBLIC. */
  readonly public: Uint8Array;
  /** The AK's name (nameAlg ‖ H(TPMT_PUBLIC)). */
  readonly name: Uint8Array;
  /** The AK's qualified name: what a quote's qualifiedSigner holds. */
  readonly qualifiedName: Uint8Array;
  /** The public key as SPKI PEM (what `edgeward tpm verify-quote --ak` takes). */
  readonly publicKeyPem: string;
}

/** The three outputs of TPM2_Quote, byte for byte as `tpm2_quote -m -s -o` writes them. */
export interface QuoteEvidence {
  /** TPMS_ATTEST. */
  readonly message: Uint8Array;
  /** TPMT_SIGNATURE. */
  readonly signature: Uint8Array;
  /** The PCR values file in tpm2-tools' default `serialized` form. */
  readonly pcrsFile: Uint8Array;
  /** The same values, parsed. */
  readonly pcrValues: PcrValues;
}

/** The outputs of TPM2_Certify. */
export interface CertifyEvidence {
  readonly attest: Uint8Array;
  readonly signature: Uint8Array;
}

/** Which endorsement key. */
export type EkType = "rsa" | "ecc";

/** A TPM, or the software stand-in for one. */
export interface TpmDevice {
  readonly kind: "tpm2-tools" | "software";
  /** True only for a real TPM (or swtpm, which tests use in its place). */
  readonly hardwareBacked: boolean;
  /** One line for logs and `edgeward tpm status`. */
  readonly description: string;

  status(): Promise<TpmStatus>;

  /**
   * Creates a P-256 decryption key under the PCR policy: it does ECDH (TPM2_ECDH_ZGen) only while the PCRs hold
   * `expected` (default: their current values).
   */
  createDecryptionKey(pcrs: PcrSelection, expected?: PcrValues): Promise<WrappedObject>;
  /** ECDH with the wrapped key: the 32-byte X coordinate of d·peer. EW_ERR_TPM_POLICY when the PCRs differ. */
  deriveSharedSecret(key: WrappedObject, peer: Uint8Array): Promise<Uint8Array>;
  /** Seals up to 128 bytes under the PCR policy. */
  seal(secret: Uint8Array, pcrs: PcrSelection, expected?: PcrValues): Promise<WrappedObject>;
  /** Unseals; EW_ERR_TPM_POLICY when the PCRs differ. */
  unseal(sealed: WrappedObject): Promise<Uint8Array>;

  createAttestationKey(): Promise<AttestationKey>;
  quote(ak: AttestationKey, pcrs: PcrSelection, nonce: Uint8Array): Promise<QuoteEvidence>;
  certify(ak: AttestationKey, key: WrappedObject): Promise<CertifyEvidence>;
  /** TPM2_ActivateCredential with the EK of `ekType`: recovers the secret MakeCredential wrapped. */
  activateCredential(ak: AttestationKey, credentialFile: Uint8Array, ekType: EkType): Promise<Uint8Array>;

  pcrRead(pcrs: PcrSelection): Promise<PcrValues>;
  /** Extends PCR `index` in every active bank with H_bank(data) (TPM2_PCR_Event; data at most 1024 bytes). */
  pcrExtend(index: number, data: Uint8Array): Promise<void>;

  /** The EK's TPM2B_PUBLIC. */
  ekPublic(ekType: EkType): Promise<Uint8Array>;
  /** The EK certificate from NV (DER, padding removed), or null when the TPM has none. */
  ekCertificate(ekType: EkType): Promise<Uint8Array | null>;

  /** Defines a monotonic NV counter at `index` (idempotent) and initialises it; returns its value. */
  counterDefine(index: number): Promise<bigint>;
  /** Adds one and returns the new value. */
  counterIncrement(index: number): Promise<bigint>;
  counterRead(index: number): Promise<bigint>;
}

/** The default NV index of the version-floor counter, in the owner range of the TCG handle registry. */
export const DEFAULT_COUNTER_INDEX = 0x01000e00;

/**
 * The PCR Edgeward extends on tamper and binds keys to. Not 16 or 23: the PC Client Platform TPM Profile makes
 * those resettable from locality 0 (TPM2_PCR_Reset), so any process could undo a tamper extend. PCR 14 is extended
 * only by shim (MokList) at boot, so its value is stable from boot to boot until Edgeward extends it.
 */
export const APPLICATION_PCR = 14;

/** The default PCR policy: PCR 7 (secure boot state) and the application PCR. */
export const DEFAULT_POLICY_PCRS: PcrSelection = [{ bank: "sha256", pcrs: [7, APPLICATION_PCR] }];
