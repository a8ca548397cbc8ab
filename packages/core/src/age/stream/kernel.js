// The payload kernel: one STREAM chunk sealed or opened with ChaCha20-Poly1305, and the task runner of the file
// fast paths (c2sp.org/age §Payload, c2sp.org/agead). The calling thread and every worker thread run this code.
//
// Why JavaScript in a TypeScript package: a worker thread that loads a .ts file starts Node's type stripper in its
// own isolate, about 11 MB more per worker (measured with Node 24 here), and sealing a 1 GiB model must stay under
// 128 MiB of RSS. So the code a worker loads is plain JavaScript with no project imports; kernel.d.ts gives the
// TypeScript side its types, and the stream tests run every line of it.

import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, createHash } from "node:crypto";
import { readSync, writevSync } from "node:fs";

/** Plaintext bytes per chunk: 64 KiB (c2sp.org/agead). */
export const CHUNK_SIZE = 65536;
/** Bytes of the Poly1305 tag of each chunk (RFC 7539 §2.8). */
export const TAG_SIZE = 16;
/** Bytes a full chunk takes in the file. */
export const ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
/**
 * Chunks per read or write system call (512 KiB of plaintext): the unit a task can stop or yield after. Small
 * enough that a batch's plaintext and ciphertext (1 MiB together) are still in the core's cache when the kernel
 * copies the ciphertext into the page cache: with 2 MiB batches that copy (copy_folio_from_iter_atomic) read from
 * memory and was most of seal's system time, 0.28 s against age's 0.21 s for 256 MiB; with 512 KiB it was 0.20 s
 * (perf record and GNU time, bench/RESULTS.md). Four times the system calls of 2 MiB batches is still a fraction
 * of age's 32 KiB reads and 64 KiB writes.
 */
export const BATCH_CHUNKS = 8;

/**
 * The 12-byte nonce of chunk `counter`: an 11-byte big-endian counter, then 0x01 for the final chunk and 0x00
 * for every other (c2sp.org/agead, "Encrypting a payload").
 * @param {number} counter @param {boolean} last @returns {Buffer}
 */
export function chunkNonce(counter, last) {
  const nonce = Buffer.alloc(12);
  // Counters stay below 2^53 (safe integers), so bytes 0..2 of the 11-byte counter are always zero.
  nonce.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 3);
  nonce.writeUInt32BE(counter >>> 0, 7);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/**
 * Plaintext bytes of chunk `index`: full, except the final chunk, which holds the remainder.
 * @param {{chunks: number, final: boolean, plaintextSize: number}} layout @param {number} index @returns {number}
 */
export function chunkPlaintextSize(layout, index) {
  return layout.final && index === layout.chunks - 1 ? layout.plaintextSize - index * CHUNK_SIZE : CHUNK_SIZE;
}

/**
 * Encrypts one chunk; returns its ciphertext and tag as two buffers, for one vectored write without a copy.
 * @param {import("node:crypto").KeyObject} key @param {number} counter @param {boolean} last
 * @param {Uint8Array} plaintext @returns {[Buffer, Buffer]}
 */
export function sealChunk(key, counter, last, plaintext) {
  const cipher = createCipheriv("chacha20-poly1305", key, chunkNonce(counter, last), { authTagLength: TAG_SIZE });
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

/**
 * Decrypts chunk `counter` (`sealed` = ciphertext ‖ tag) expecting the final flag `last`. Returns the plaintext
 * once its tag verified, or the code that says why not, worked out by trying the other flag:
 * EW_ERR_AGE_PAYLOAD_TRAILING_DATA when a chunk expected to be non-final is a valid final chunk (data follows the
 * end of the payload), EW_ERR_AGE_PAYLOAD_TRUNCATED when the chunk expected to be final is a valid non-final one
 * (the payload was cut after it), else EW_ERR_AGE_PAYLOAD_AUTH (altered bytes, another key, or a reordered,
 * duplicated or dropped chunk, which the counter in the nonce turns into a tag failure).
 * @param {import("node:crypto").KeyObject} key @param {number} counter @param {boolean} last
 * @param {Uint8Array} sealed @returns {Buffer | import("./kernel.d.ts").ChunkFailureCode}
 */
export function openChunk(key, counter, last, sealed) {
  const plaintext = tryOpen(key, counter, last, sealed);
  if (plaintext !== null) return plaintext;
  const other = tryOpen(key, counter, !last, sealed);
  if (other === null) return "EW_ERR_AGE_PAYLOAD_AUTH";
  other.fill(0);
  return last ? "EW_ERR_AGE_PAYLOAD_TRUNCATED" : "EW_ERR_AGE_PAYLOAD_TRAILING_DATA";
}

/** @param {import("node:crypto").KeyObject} key @param {number} counter @param {boolean} last @param {Uint8Array} sealed */
function tryOpen(key, counter, last, sealed) {
  if (sealed.length < TAG_SIZE) return null;
  const split = sealed.length - TAG_SIZE;
  const decipher = createDecipheriv("chacha20-poly1305", key, chunkNonce(counter, last), { authTagLength: TAG_SIZE });
  decipher.setAuthTag(sealed.subarray(split));
  const plaintext = decipher.update(sealed.subarray(0, split));
  try {
    decipher.final();
  } catch {
    // The tag did not verify: what was decrypted is unauthenticated and must not leave here.
    plaintext.fill(0);
    return null;
  }
  return plaintext;
}

/** A failure inside a task, carried to the caller as a code (the caller makes it an EdgewardError). */
class TaskFailure extends Error {
  /** @param {string} code @param {number} chunk */
  constructor(code, chunk) {
    super(`${code} at chunk ${chunk}`);
    this.code = code;
    this.chunk = chunk;
  }
}

/**
 * Starts a task (see protocol.ts); each `step()` processes one batch of up to 512 KiB and returns true once the task
 * ended, after `post` received its final reply. Never throws: failures become a "failed" reply with a code and the
 * chunk it is about. Once `task.control` says a failure was found at or before the next batch, the task ends with
 * "aborted" at the next step.
 * @param {import("./protocol.ts").TaskMessage} task
 * @param {(reply: import("./protocol.ts").WorkerReply) => void} post
 * @returns {{ step(): boolean }}
 */
export function startTask(task, post) {
  const control = new BigInt64Array(task.control);
  const hash = task.kind === "decrypt" && task.digest ? createHash("sha256") : null;
  let first = task.first;
  let ended = false;
  return {
    step() {
      if (ended) return true;
      try {
        if (first >= task.end) {
          post(hash === null ? { id: task.id, type: "done" } : { id: task.id, type: "done", digest: hash.digest() });
        } else if (BigInt(first) >= Atomics.load(control, 0)) {
          post({ id: task.id, type: "aborted" });
        } else {
          const end = Math.min(task.end, first + BATCH_CHUNKS);
          const bytes = task.kind === "encrypt" ? encryptBatch(task, first, end) : decryptBatch(task, first, end, hash);
          first = end;
          post({ id: task.id, type: "progress", bytes });
          return false;
        }
      } catch (err) {
        post({ id: task.id, type: "failed", chunk: err instanceof TaskFailure ? err.chunk : first, ...describe(err) });
      }
      ended = true;
      return true;
    },
  };
}

/** @param {import("./protocol.ts").EncryptTask} task @param {number} first @param {number} end */
function encryptBatch(task, first, end) {
  const { layout, key } = task;
  const length = batchPlaintextSize(layout, first, end);
  const buffer = scratch(length);
  // The next batch overwrites this plaintext; wipeScratch clears what the last one left once the thread is idle
  // (zeroing the buffer after every batch cost ~0.2 CPU-s per GiB sealed here).
  scratchHoldsPlaintext = true;
  readFully(task.inFd, buffer, first * CHUNK_SIZE, first);
  /** @type {Buffer[]} */
  const pieces = [];
  for (let i = first, at = 0; i < end; i++) {
    const size = chunkPlaintextSize(layout, i);
    pieces.push(...sealChunk(key, i, isFinal(layout, i), buffer.subarray(at, at + size)));
    at += size;
  }
  try {
    writeFully(task.outFd, pieces, task.outBase + first * ENCRYPTED_CHUNK_SIZE, first);
  } finally {
    for (const piece of pieces) release(piece);
  }
  return length;
}

/**
 * @param {import("./protocol.ts").DecryptTask} task @param {number} first @param {number} end
 * @param {import("node:crypto").Hash | null} hash
 */
function decryptBatch(task, first, end, hash) {
  const { layout, key, target } = task;
  const length = batchPlaintextSize(layout, first, end);
  const buffer = scratch(length + (end - first) * TAG_SIZE);
  readFully(task.inFd, buffer, task.inBase + first * ENCRYPTED_CHUNK_SIZE, first);
  const memory = target.kind === "memory" ? new Uint8Array(target.buffer) : null;
  const memoryBase = target.kind === "memory" ? (target.base ?? 0) : 0;
  /** @type {Buffer[]} */
  const pieces = [];
  try {
    for (let i = first, at = 0; i < end; i++) {
      const size = chunkPlaintextSize(layout, i) + TAG_SIZE;
      const plaintext = openChunk(key, i, isFinal(layout, i), buffer.subarray(at, at + size));
      if (typeof plaintext === "string") throw new TaskFailure(plaintext, i);
      at += size;
      // Hash while the chunk is in cache: the shard digest costs no second pass over memory.
      hash?.update(plaintext);
      if (memory !== null) {
        memory.set(plaintext, i * CHUNK_SIZE - memoryBase);
        plaintext.fill(0);
        release(plaintext);
      } else {
        pieces.push(plaintext);
      }
    }
    if (target.kind === "file") writeFully(target.fd, pieces, target.base + first * CHUNK_SIZE, first);
  } finally {
    for (const piece of pieces) {
      piece.fill(0);
      release(piece);
    }
  }
  return length;
}

/**
 * Frees the memory of a buffer node:crypto returned, now, instead of at the next garbage collection.
 *
 * Each chunk's output is a fresh 64 KiB allocation. Freed together by a collection after a batch, they leave
 * megabytes free at the top of the thread's malloc heap, which glibc hands back to the kernel, so the next batch
 * faults the same amount in again: a 512 MiB seal took ~130,000 minor faults (about the whole file) and more
 * system than user time here. Detaching the ArrayBuffer (transfer to length 0) frees it at once, so the next
 * chunk's output reuses the same, already mapped memory. Only a buffer that owns its whole ArrayBuffer is
 * detached: never a view into someone else's memory.
 * @param {Buffer} buffer
 */
function release(buffer) {
  const backing = buffer.buffer;
  if (buffer.byteOffset === 0 && backing.byteLength === buffer.byteLength && backing instanceof ArrayBuffer) {
    backing.transfer(0);
  }
}

/** @param {{chunks: number, final: boolean}} layout @param {number} index */
function isFinal(layout, index) {
  return layout.final && index === layout.chunks - 1;
}

/** @param {{chunks: number, final: boolean, plaintextSize: number}} layout @param {number} first @param {number} end */
function batchPlaintextSize(layout, first, end) {
  return (end - 1 - first) * CHUNK_SIZE + chunkPlaintextSize(layout, end - 1);
}

/** @type {Buffer | undefined} */
let scratchBuffer;

/** Whether the scratch buffer may hold plaintext read by an encrypt batch. */
let scratchHoldsPlaintext = false;

/**
 * Zeroes this thread's I/O buffer if an encrypt batch left plaintext in it. Runs when the thread has no task
 * left (worker.js when its queue drains, the scheduler when the calling thread's lane ends), not after every
 * batch: each batch overwrites the last one's plaintext anyway.
 */
export function wipeScratch() {
  if (!scratchHoldsPlaintext || scratchBuffer === undefined) return;
  scratchBuffer.fill(0);
  scratchHoldsPlaintext = false;
}

/** One reusable I/O buffer per thread (a thread runs one batch at a time). @param {number} size */
function scratch(size) {
  if (scratchBuffer === undefined || scratchBuffer.length < size) {
    scratchBuffer = Buffer.alloc(Math.max(size, BATCH_CHUNKS * ENCRYPTED_CHUNK_SIZE));
  }
  return scratchBuffer.subarray(0, size);
}

/** @param {number} fd @param {Buffer} buffer @param {number} position @param {number} chunk */
function readFully(fd, buffer, position, chunk) {
  for (let done = 0; done < buffer.length; ) {
    const n = readSync(fd, buffer, done, buffer.length - done, position + done);
    // The size was measured before the work began; a short read means the file shrank since.
    if (n === 0) throw new TaskFailure("EW_ERR_AGE_STREAM_INPUT_CHANGED", chunk);
    done += n;
  }
}

/** @param {number} fd @param {Buffer[]} pieces @param {number} position @param {number} chunk */
function writeFully(fd, pieces, position, chunk) {
  let rest = pieces.filter((piece) => piece.length > 0);
  while (rest.length > 0) {
    let n = writevSync(fd, rest, position);
    if (n === 0) throw new TaskFailure("EW_ERR_IO", chunk);
    position += n;
    // A short vectored write is legal: continue from the first byte not written.
    let skip = 0;
    while (skip < rest.length && n >= /** @type {Buffer} */ (rest[skip]).length) {
      n -= /** @type {Buffer} */ (rest[skip++]).length;
    }
    rest = rest.slice(skip);
    if (n > 0 && rest.length > 0) rest[0] = /** @type {Buffer} */ (rest[0]).subarray(n);
  }
}

/** @param {unknown} err @returns {{ code: string, detail?: string }} */
function describe(err) {
  if (err instanceof TaskFailure) return { code: err.code, detail: `at chunk ${err.chunk}` };
  const errno = /** @type {{ code?: unknown, syscall?: unknown }} */ (err ?? {});
  if (typeof errno.code === "string") {
    const syscall = typeof errno.syscall === "string" ? ` in ${errno.syscall}` : "";
    return { code: "EW_ERR_IO", detail: `${errno.code}${syscall}` };
  }
  return { code: "EW_ERR_AGE_STREAM_WORKER", detail: err instanceof Error ? err.message : String(err) };
}

/**
 * Keeps freed chunk buffers mapped: allocates and frees one 8 MiB buffer when a thread loads this module.
 *
 * glibc's malloc serves the 64 KiB outputs of node:crypto from its heaps and, by default, hands free memory at
 * the top of a heap back to the kernel once it exceeds 128 KiB; every batch then faults its outputs in afresh
 * (a 512 MiB seal took ~130,000 minor faults, about one per 4 KiB of the file, and spent more time in the kernel
 * than in user space here). Freeing a block that glibc had to mmap raises its thresholds to that size (mmap) and
 * twice it (trim), per its documented dynamic mmap threshold, so freed outputs stay mapped and are reused:
 * ~10,000 faults, and a 512 MiB seal ran in 0.65 s instead of 1.0 s here. Costs no page faults (the block is
 * never touched) and changes nothing where malloc is not glibc's.
 */
function keepFreedMemoryMapped() {
  new ArrayBuffer(8 * 1024 * 1024).transfer(0);
}
keepFreedMemoryMapped();
