// Types of kernel.js, the plain-JavaScript part of the payload engine that worker threads load (see kernel.js
// for why it is not TypeScript). Keep in step with kernel.js; the stream tests exercise every export.
import type { KeyObject } from "node:crypto";
import type { TaskMessage, WorkerReply } from "./protocol.ts";

/** Plaintext bytes per chunk: 64 KiB (c2sp.org/agead). */
export declare const CHUNK_SIZE: 65536;
/** Bytes of the Poly1305 tag of each chunk (RFC 7539 §2.8). */
export declare const TAG_SIZE: 16;
/** Bytes a full chunk takes in the file. */
export declare const ENCRYPTED_CHUNK_SIZE: 65552;
/** Chunks per read or write system call (512 KiB of plaintext). */
export declare const BATCH_CHUNKS: 8;

/** Why a chunk did not open (see {@link openChunk}). */
export type ChunkFailureCode =
  | "EW_ERR_AGE_PAYLOAD_AUTH"
  | "EW_ERR_AGE_PAYLOAD_TRUNCATED"
  | "EW_ERR_AGE_PAYLOAD_TRAILING_DATA";

/** The 12-byte nonce of chunk `counter`: 11-byte big-endian counter ‖ final flag (c2sp.org/agead). */
export declare function chunkNonce(counter: number, last: boolean): Buffer;

/** Plaintext bytes of chunk `index` of `layout`: full, except the final chunk's remainder. */
export declare function chunkPlaintextSize(
  layout: { readonly chunks: number; readonly final: boolean; readonly plaintextSize: number },
  index: number,
): number;

/** Encrypts one chunk; returns ciphertext and tag. */
export declare function sealChunk(
  key: KeyObject,
  counter: number,
  last: boolean,
  plaintext: Uint8Array,
): [Buffer, Buffer];

/** Decrypts and authenticates one chunk; returns the plaintext, or the code that says why it failed. */
export declare function openChunk(
  key: KeyObject,
  counter: number,
  last: boolean,
  sealed: Uint8Array,
): Buffer | ChunkFailureCode;

/** Starts a task; each step() does one batch and returns true once the task's final reply was posted. */
export declare function startTask(task: TaskMessage, post: (reply: WorkerReply) => void): { step(): boolean };

/** Zeroes this thread's I/O buffer if an encrypt batch left plaintext in it (call when the thread is idle). */
export declare function wipeScratch(): void;
