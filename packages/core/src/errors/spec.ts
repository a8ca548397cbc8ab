/**
 * The shape of one entry in the error registry (STYLE.md, "Errors — typed, coded, documented").
 *
 * `message` is one sentence a person can act on; `exit` is the process exit status the CLI uses;
 * `http` is the status the hub answers with when the error crosses its API.
 */
export interface ErrorSpec {
  readonly message: string;
  readonly exit: number;
  readonly http: number;
}

/** Exit statuses, grouped so scripts can branch on the class of failure without parsing text. */
export const EXIT = {
  /** Something in the program or environment went wrong. */
  internal: 1,
  /** The command line was wrong. */
  usage: 2,
  /** A file or stream could not be read or written. */
  io: 3,
  /** Input is not in the expected format (malformed, truncated, unsupported). */
  format: 4,
  /** Authentication failed: a MAC, an AEAD tag or a key did not match. */
  auth: 5,
  /** A signature or a digest did not verify. */
  signature: 6,
  /** A policy said no (PCRs, nonce, freshness, version floor). */
  policy: 7,
  /** The TPM or another device failed. */
  device: 8,
  /** The audit log's storage or history is inconsistent. */
  log: 9,
} as const;
