// Worker side of the shard-hashing pool (hash-pool.ts). Kept free of project imports so it starts fast.
import { createHash } from "node:crypto";
import { readSync } from "node:fs";
import { parentPort } from "node:worker_threads";

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

/** A reply: the 32-byte SHA-256, or why it failed (`errno` from the fs error, `short` when the file shrank). */
export type HashReply =
  | { readonly id: number; readonly digest: Uint8Array }
  | { readonly id: number; readonly error: string; readonly errno: string | undefined };

// 256 KiB: the read buffer stays in this core's L2 (512 KiB here), so SHA-256 reads what pread just wrote from
// cache. Measured on this machine: 256 KiB ≈ 1.29 GB/s read+hash per core, 1 MiB ≈ 0.87 GB/s, 4 MiB ≈ 0.83 GB/s.
const READ_SIZE = 256 * 1024;
let readBuffer: Buffer | undefined;

parentPort?.on("message", (request: HashRequest) => {
  let reply: HashReply;
  try {
    reply = { id: request.id, digest: hash(request) };
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException | undefined)?.code;
    reply = { id: request.id, error: err instanceof Error ? err.message : String(err), errno };
  }
  parentPort?.postMessage(reply);
});

function hash(request: HashRequest): Uint8Array {
  const sha = createHash("sha256");
  if (request.kind === "memory") {
    sha.update(new Uint8Array(request.buffer, request.offset, request.length));
  } else {
    readBuffer ??= Buffer.allocUnsafe(READ_SIZE);
    // Positioned reads (pread) on the descriptor the main thread opened: every worker reads the same file,
    // whatever happens to the path meanwhile, and no worker moves a shared file offset.
    for (let pos = request.start; pos < request.end; ) {
      const n = readSync(request.fd, readBuffer, 0, Math.min(READ_SIZE, request.end - pos), pos);
      if (n === 0) throw Object.assign(new Error("the file ended before the shard did"), { code: "short" });
      sha.update(readBuffer.subarray(0, n));
      pos += n;
    }
  }
  // A fresh 32-byte array: a pooled Buffer would drag its whole 8 KiB slab through postMessage.
  return Uint8Array.from(sha.digest());
}
