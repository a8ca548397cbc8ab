/**
 * Messages between the hashing pool (hash-pool.ts) and its worker threads (hash-worker.js). Types only: the
 * worker is plain JavaScript and follows these shapes by hand.
 */

/** A request: hash bytes [start, end) of an open file descriptor, or `length` bytes of a buffer at `offset`. */
export type HashRequest =
  | { readonly id: number; readonly kind: "fd"; readonly fd: number; readonly start: number; readonly end: number }
  | {
      readonly id: number;
      readonly kind: "memory";
      readonly buffer: ArrayBuffer | SharedArrayBuffer;
      readonly offset: number;
      readonly length: number;
    };

/** A reply: the 32-byte SHA-256, or why it failed (`errno` from the fs error; `short` when the file shrank). */
export type HashReply =
  | { readonly id: number; readonly digest: Uint8Array }
  | { readonly id: number; readonly error: string; readonly errno: string | undefined };
