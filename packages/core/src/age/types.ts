/**
 * The age v1 recipient and identity interfaces (c2sp.org/age, "Recipient stanza" and "File key").
 * Shared by the software keys here and by the TPM in @edgeward/tpm.
 */

/** One recipient stanza of an age header: `-> TYPE ARG…` followed by a body (c2sp.org/age §Header). */
export interface Stanza {
  /** The stanza type, the first argument (`X25519`, `mlkem768x25519`, `p256tag`, …). */
  readonly type: string;
  /** The remaining arguments, in order. */
  readonly args: readonly string[];
  /** The decoded body. */
  readonly body: Uint8Array;
}

/** Something a file key can be wrapped to. */
export interface AgeRecipient {
  /** The recipient string (`age1…`, `age1pq1…`, `age1tag1…`). */
  readonly recipient: string;
  /** Wraps the 16-byte file key into one or more stanzas. */
  wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]>;
}

/** Something that can unwrap a file key from a header's stanzas. */
export interface AgeIdentity {
  /** A human label for messages (`X25519 identity`, `TPM P-256 key (PCRs 7,16)`); never a secret. */
  readonly description: string;
  /** True only when the private key cannot leave hardware (a TPM). Software keys say false, loudly. */
  readonly hardwareBacked: boolean;
  /**
   * Returns the file key when a stanza is addressed to this identity, or null when none is.
   * Throws an EdgewardError when a stanza is addressed to it but malformed, or when unwrapping fails for a
   * reason other than "not for me" (for example a TPM policy mismatch).
   */
  unwrapFileKey(stanzas: readonly Stanza[]): Promise<Uint8Array | null>;
}

/**
 * A P-256 private key that performs ECDH and nothing else — the hardware side of an `age1tag1` identity.
 * A software key and the TPM (TPM2_ECDH_ZGen) implement it.
 */
export interface P256KeyAgreement {
  /** The public key as an uncompressed SEC1 point (65 bytes, 0x04 ‖ X ‖ Y). */
  readonly publicKey: Uint8Array;
  /** True only when the private key lives in hardware. */
  readonly hardwareBacked: boolean;
  /** A human label for messages; never a secret. */
  readonly description: string;
  /**
   * ECDH with `peer` (uncompressed SEC1 point): returns the 32-byte X coordinate of d·peer.
   * Throws an EdgewardError (for example EW_ERR_TPM_POLICY when the boot state no longer matches).
   */
  deriveSharedSecret(peer: Uint8Array): Promise<Uint8Array>;
}
