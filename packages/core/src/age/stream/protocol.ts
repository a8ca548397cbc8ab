import type { KeyObject } from "node:crypto";
import type { ErrorCode } from "../../errors/index.ts";
import type { PayloadLayout } from "./format.ts";

// The messages between the file fast paths and their worker threads. Workers read and write the caller's
// files themselves (positional I/O on the same descriptors, which threads of a process share), so only
// ranges, keys and a shared plaintext buffer cross the message port, never file bytes.

/** Encrypt chunks [first, end) of a plaintext file into ciphertext at their positions in the output. */
export interface EncryptTask {
  readonly kind: "encrypt";
  readonly key: KeyObject;
  readonly inFd: number;
  readonly outFd: number;
  /** Output position of chunk 0 (just after the payload nonce). */
  readonly outBase: number;
  readonly layout: PayloadLayout;
  readonly first: number;
  readonly end: number;
}

/** Where a decrypt task puts authenticated plaintext. */
export type DecryptTarget =
  | {
      readonly kind: "memory";
      /** Shared when a worker writes it; the calling thread may also write a regular ArrayBuffer. */
      readonly buffer: SharedArrayBuffer | ArrayBuffer;
      /** Plaintext offset of the buffer's first byte (a staging buffer holds one task's range); default 0. */
      readonly base?: number;
    }
  | { readonly kind: "file"; readonly fd: number; readonly base: number };

/** Decrypt and authenticate chunks [first, end), optionally hashing their plaintext as one shard. */
export interface DecryptTask {
  readonly kind: "decrypt";
  readonly key: KeyObject;
  readonly inFd: number;
  /** Input position of chunk 0 (just after the payload nonce). */
  readonly inBase: number;
  readonly layout: PayloadLayout;
  readonly first: number;
  readonly end: number;
  readonly target: DecryptTarget;
  /** When true the task's whole range is one shard and the reply carries its SHA-256. */
  readonly digest: boolean;
}

/**
 * A task as posted. `control` is the job's BigInt64Array over a SharedArrayBuffer: [0] is the lowest chunk a
 * failure was reported at (or 2^53 − 1 while there is none); a task stops before working on any chunk at or after
 * it. Work below it goes on, so every failure below the first one seen is still found and the lowest reported.
 */
export type TaskMessage = (EncryptTask | DecryptTask) & { readonly id: number; readonly control: SharedArrayBuffer };

/** A worker's answer to one task (progress may come several times before the end). */
export type WorkerReply =
  | { readonly id: number; readonly type: "progress"; readonly bytes: number }
  | { readonly id: number; readonly type: "done"; readonly digest?: Uint8Array }
  | {
      readonly id: number;
      readonly type: "failed";
      readonly code: ErrorCode;
      readonly detail?: string;
      /** The chunk the failure is about, so the lowest one is reported whichever worker saw it first. */
      readonly chunk: number;
    }
  | { readonly id: number; readonly type: "aborted" };
