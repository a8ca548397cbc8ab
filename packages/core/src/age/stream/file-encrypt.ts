import { randomBytes } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { EdgewardError } from "../../errors/index.ts";
import {
  checkParallelism,
  chunkRanges,
  INLINE_LIMIT,
  outputPosition,
  regularFileSize,
  TASK_CHUNKS,
  writeAllAt,
  type ProgressCallback,
} from "./file-common.ts";
import { chunkCount, ciphertextSize, PAYLOAD_NONCE_SIZE, payloadKeyObject, type PayloadLayout } from "./format.ts";
import type { TaskInput } from "./pool.ts";
import { runJob } from "./scheduler.ts";

/** Options for {@link encryptFileToFile}. */
export interface EncryptFileOptions {
  /**
   * Output position where the payload (its nonce first) is written. Default: the output's current size, so a
   * caller writes the header to a fresh file and then calls this. Writes are positional: the handle's own
   * file position does not move, and an output opened for appending ("a") would ignore positions: do not.
   */
  readonly position?: number;
  /**
   * Threads to use, the calling one included (it works in slices of a few milliseconds between which its event
   * loop runs); default: every available core. 1 uses no worker thread.
   */
  readonly parallelism?: number;
  /** Called as plaintext is encrypted, with bytes done and the input size. */
  readonly onProgress?: ProgressCallback;
}

/** What {@link encryptFileToFile} wrote. */
export interface EncryptFileResult {
  /** Bytes of plaintext read: the input's size. */
  readonly plaintextSize: number;
  /** Bytes of payload written at the position: nonce, chunks and tags ({@link ciphertextSize}). */
  readonly payloadSize: number;
}

/**
 * Encrypts the whole regular file `input` into an age payload (c2sp.org/age §Payload): a fresh random 16-byte
 * nonce, then 64 KiB ChaCha20-Poly1305 chunks, written to `output` at `opts.position` (default: its end).
 *
 * The calling thread and `parallelism − 1` worker threads read plaintext and write ciphertext themselves with
 * positional I/O on the two descriptors, 2 MiB per task and at most two tasks per worker, so memory stays a few
 * MiB whatever the file size (a 1 GiB seal peaks near 100 MiB RSS). Both handles must stay open until the
 * promise settles. On failure the output may hold part of a payload: the
 * caller deletes it. Throws EW_ERR_AGE_STREAM_INPUT_CHANGED when the input's size changes meanwhile, EW_ERR_IO
 * on a read or write error, EW_ERR_USAGE when the input is not a regular file.
 */
export async function encryptFileToFile(
  fileKey: Uint8Array,
  input: FileHandle,
  output: FileHandle,
  opts: EncryptFileOptions = {},
): Promise<EncryptFileResult> {
  checkParallelism(opts.parallelism);
  const size = await regularFileSize(input, "input");
  const position = await outputPosition(output, opts.position);
  const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
  const key = payloadKeyObject(fileKey, nonce);
  await writeAllAt(output, nonce, position);
  const layout: PayloadLayout = { chunks: chunkCount(size), final: true, plaintextSize: size, tailSize: 0 };
  const tasks: TaskInput[] = chunkRanges(layout.chunks, TASK_CHUNKS).map(([first, end]) => ({
    kind: "encrypt",
    key,
    inFd: input.fd,
    outFd: output.fd,
    outBase: position + PAYLOAD_NONCE_SIZE,
    layout,
    first,
    end,
  }));
  await runJob(tasks, {
    parallelism: opts.parallelism,
    onProgress: opts.onProgress,
    total: size,
    inline: size <= INLINE_LIMIT,
    depth: 2,
  });
  // A file that grew while it was read would be sealed without its new bytes: refuse rather than guess.
  const after = await regularFileSize(input, "input");
  if (after !== size) throw new EdgewardError("EW_ERR_AGE_STREAM_INPUT_CHANGED", { detail: `${size} → ${after}` });
  return { plaintextSize: size, payloadSize: ciphertextSize(size) };
}
