import type { KeyObject } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { EdgewardError } from "../../errors/index.ts";
import {
  checkOffset,
  checkParallelism,
  checkShardSize,
  chunkRanges,
  DEEP_TASK_LIMIT,
  INLINE_LIMIT,
  outputPosition,
  readUpTo,
  regularFileSize,
  TASK_CHUNKS,
  type ProgressCallback,
} from "./file-common.ts";
import {
  CHUNK_SIZE,
  ENCRYPTED_CHUNK_SIZE,
  incompleteTailCode,
  PAYLOAD_NONCE_SIZE,
  payloadKeyObject,
  payloadLayout,
  type PayloadLayout,
} from "./format.ts";
import type { TaskInput } from "./pool.ts";
import type { DecryptTarget } from "./protocol.ts";
import { runJob, type DoneReply, type JobOptions } from "./scheduler.ts";

/** Options shared by the file decryption paths. */
export interface DecryptFileOptions {
  /**
   * Threads to use, the calling one included (it works in slices of a few milliseconds between which its event
   * loop runs); default: every available core. 1 uses no worker thread.
   */
  readonly parallelism?: number;
  /** Called as chunks authenticate, with plaintext bytes done and the plaintext size. */
  readonly onProgress?: ProgressCallback;
}

/** Options for {@link decryptFileToMemory}. */
export interface DecryptToMemoryOptions extends DecryptFileOptions {
  /**
   * When set, also return the SHA-256 of each plaintext shard [i·shardSize, min((i+1)·shardSize, n)), computed
   * by the thread that decrypts the shard (one thread per shard) while its bytes are in cache. A positive multiple of 65536
   * (EW_ERR_AGE_STREAM_SHARD_SIZE otherwise). An empty plaintext has no shards.
   */
  readonly shardSize?: number;
  /**
   * Where the plaintext lives. true (default): one SharedArrayBuffer that every thread decrypts into directly.
   * false: one regular ArrayBuffer, which onnxruntime-node's InferenceSession.create takes without a copy; the
   * calling thread decrypts into it directly, and each worker lane into a staging SharedArrayBuffer of one task
   * (reused, zeroed after each) that the calling thread copies in: a copy into memory that has to be faulted in
   * once anyway, and peak memory stays the plaintext plus a few MiB (a shard per lane with `shardSize`).
   */
  readonly shared?: boolean;
}

/** What {@link decryptFileToMemory} returns, only after every chunk authenticated. */
export interface DecryptToMemoryResult {
  /**
   * The plaintext, a view of a SharedArrayBuffer (or, with `shared: false`, an ArrayBuffer) of exactly its size.
   * Zero it (`plaintext.fill(0)`) when the model is unloaded.
   */
  readonly plaintext: Uint8Array;
  /** SHA-256 of each shard, in order, when `shardSize` was given. */
  readonly shardDigests?: Buffer[];
}

/**
 * Decrypts the age payload that starts at byte `offset` of the regular file `input` (the header's length) into
 * memory (c2sp.org/age §Payload). The plaintext size follows from the file size, so one buffer of exactly that
 * size is allocated and the calling thread and `parallelism − 1` worker threads decrypt straight into it, each
 * reading the file itself; peak memory is the plaintext plus a few MiB. The handle must stay open until the
 * promise settles.
 *
 * Returns only when every chunk authenticated and the payload ended with its final chunk; on any failure the
 * buffer is zeroed and the typed code thrown: EW_ERR_AGE_PAYLOAD_NONCE, _TRUNCATED, _TRAILING_DATA,
 * _EMPTY_LAST_CHUNK or _AUTH (the same code {@link decryptPayload} gives for the same bytes; with several
 * problems, the one at the lowest chunk), EW_ERR_AGE_STREAM_INPUT_CHANGED, EW_ERR_IO, EW_ERR_INPUT_TOO_LARGE.
 */
export async function decryptFileToMemory(
  fileKey: Uint8Array,
  input: FileHandle,
  offset: number,
  opts: DecryptToMemoryOptions = {},
): Promise<DecryptToMemoryResult> {
  if (opts.shardSize !== undefined) checkShardSize(opts.shardSize);
  const payload = await openPayload(fileKey, input, offset, opts);
  const { layout } = payload;
  let buffer: SharedArrayBuffer | ArrayBuffer;
  try {
    buffer =
      opts.shared === false ? new ArrayBuffer(layout.plaintextSize) : new SharedArrayBuffer(layout.plaintextSize);
  } catch (err) {
    throw new EdgewardError("EW_ERR_INPUT_TOO_LARGE", { detail: `${layout.plaintextSize} bytes`, cause: err });
  }
  const plaintext = new Uint8Array(buffer);
  const shardChunks = opts.shardSize === undefined ? undefined : opts.shardSize / CHUNK_SIZE;
  try {
    // Shards are whole tasks, so one thread decrypts and hashes each; an empty plaintext has no shards but its
    // one empty chunk still has to authenticate.
    const digests = shardChunks !== undefined && layout.plaintextSize > 0;
    const size = digests ? shardChunks : TASK_CHUNKS;
    const viaLane = buffer instanceof SharedArrayBuffer ? undefined : stageLanes(plaintext, size);
    const done = await runDecrypt(payload, { kind: "memory", buffer }, size, digests, opts, viaLane);
    await checkTail(payload);
    if (shardChunks === undefined) return { plaintext };
    return { plaintext, shardDigests: digests ? done.map((reply) => toBuffer(reply.digest)) : [] };
  } catch (err) {
    plaintext.fill(0);
    throw err;
  }
}

/** Options for {@link decryptFileToHandle}. */
export interface DecryptToHandleOptions extends DecryptFileOptions {
  /** Output position of the first plaintext byte; default: the output's current size. Writes are positional. */
  readonly position?: number;
}

/**
 * Decrypts the age payload at byte `offset` of `input` into `output` at `opts.position` (default: its end), the
 * threads writing authenticated chunks in place as they go (c2sp.org/age §Payload). Chunks land before
 * the whole payload is known to be complete, so the output is trustworthy only once the promise resolves:
 * `edgeward open -o FILE` writes to a temporary file and renames it after success. On failure the output is
 * truncated back to the position (no plaintext left in it) and the typed code thrown, as
 * {@link decryptFileToMemory}. A regular-file output longer than the plaintext is truncated to it.
 */
export async function decryptFileToHandle(
  fileKey: Uint8Array,
  input: FileHandle,
  offset: number,
  output: FileHandle,
  opts: DecryptToHandleOptions = {},
): Promise<{ plaintextSize: number }> {
  const position = await outputPosition(output, opts.position);
  const payload = await openPayload(fileKey, input, offset, opts);
  const end = position + payload.layout.plaintextSize;
  const isFile = (await output.stat()).isFile();
  try {
    await runDecrypt(payload, { kind: "file", fd: output.fd, base: position }, TASK_CHUNKS, false, opts);
    await checkTail(payload);
  } catch (err) {
    if (isFile) await output.truncate(position).catch(() => undefined);
    throw err;
  }
  if (isFile && (await output.stat()).size > end) await output.truncate(end);
  return { plaintextSize: payload.layout.plaintextSize };
}

/**
 * Decrypts the age payload at byte `offset` of `input` and returns the SHA-256 of each `shardSize`-byte shard of
 * its plaintext, each shard decrypted and hashed by one thread (as {@link decryptFileToMemory} with `shardSize`)
 * but written to `discard`, a handle on a device that drops positional writes (`/dev/null`), so memory stays a
 * few MiB whatever the size. Sealing uses it to sign exactly the bytes a sealed file authenticates to. Throws
 * as {@link decryptFileToMemory}.
 */
export async function digestFilePayload(
  fileKey: Uint8Array,
  input: FileHandle,
  offset: number,
  shardSize: number,
  discard: FileHandle,
  opts: DecryptFileOptions = {},
): Promise<{ plaintextSize: number; shardDigests: Buffer[] }> {
  checkShardSize(shardSize);
  if (!(await discard.stat()).isCharacterDevice())
    throw new EdgewardError("EW_ERR_USAGE", { detail: "digestFilePayload discards into a character device" });
  const payload = await openPayload(fileKey, input, offset, opts);
  const { plaintextSize } = payload.layout;
  const target = { kind: "file", fd: discard.fd, base: 0 } as const;
  const done = await runDecrypt(payload, target, shardSize / CHUNK_SIZE, plaintextSize > 0, opts);
  await checkTail(payload);
  return { plaintextSize, shardDigests: plaintextSize > 0 ? done.map((reply) => toBuffer(reply.digest)) : [] };
}

interface OpenedPayload {
  readonly key: KeyObject;
  readonly input: FileHandle;
  /** File position of chunk 0. */
  readonly base: number;
  readonly layout: PayloadLayout;
}

/** Reads the nonce, derives the key and lays out the chunks; throws at once when there is no chunk to check. */
async function openPayload(
  fileKey: Uint8Array,
  input: FileHandle,
  offset: number,
  opts: DecryptFileOptions,
): Promise<OpenedPayload> {
  checkOffset(offset, "offset");
  checkParallelism(opts.parallelism);
  const size = await regularFileSize(input, "input");
  const nonce = await readUpTo(input, PAYLOAD_NONCE_SIZE, offset);
  if (nonce.length < PAYLOAD_NONCE_SIZE) {
    throw new EdgewardError("EW_ERR_AGE_PAYLOAD_NONCE", { detail: `payload is ${nonce.length} bytes` });
  }
  const layout = payloadLayout(size - offset);
  if (layout.chunks === 0 && !layout.final) throw new EdgewardError("EW_ERR_AGE_PAYLOAD_TRUNCATED");
  return { key: payloadKeyObject(fileKey, nonce), input, base: offset + PAYLOAD_NONCE_SIZE, layout };
}

/**
 * Once every chunk authenticated: a payload whose size leaves no room for a final chunk ends here with the code
 * {@link decryptPayload} gives for the same bytes.
 */
async function checkTail(payload: OpenedPayload): Promise<void> {
  const { layout } = payload;
  if (layout.final) return;
  const tail = await readUpTo(payload.input, layout.tailSize, payload.base + layout.chunks * ENCRYPTED_CHUNK_SIZE);
  throw new EdgewardError(incompleteTailCode(payload.key, layout.chunks, tail), {
    detail: `at chunk ${layout.chunks}`,
  });
}

async function runDecrypt(
  payload: OpenedPayload,
  target: DecryptTarget,
  chunksPerTask: number,
  digest: boolean,
  opts: DecryptFileOptions,
  viaLane?: JobOptions["viaLane"],
): Promise<DoneReply[]> {
  const { layout } = payload;
  const tasks: TaskInput[] = chunkRanges(layout.chunks, chunksPerTask).map(([first, end]) => ({
    kind: "decrypt",
    key: payload.key,
    inFd: payload.input.fd,
    inBase: payload.base,
    layout,
    first,
    end,
    target,
    digest,
  }));
  return runJob(tasks, {
    parallelism: opts.parallelism,
    onProgress: opts.onProgress,
    total: layout.plaintextSize,
    inline: layout.plaintextSize <= INLINE_LIMIT,
    depth: chunksPerTask * CHUNK_SIZE > DEEP_TASK_LIMIT ? 1 : 2,
    viaLane,
  });
}

/**
 * Worker lanes of a decryption into the regular buffer `plaintext` (which only the calling thread can reach):
 * each lane decrypts into its own staging SharedArrayBuffer of `chunksPerTask` chunks, allocated on first use
 * and reused, and the calling thread copies a task's plaintext in once its worker authenticated every chunk of
 * it, then zeroes the staging range whatever the outcome.
 */
function stageLanes(plaintext: Uint8Array, chunksPerTask: number): NonNullable<JobOptions["viaLane"]> {
  const staging = new Map<number, SharedArrayBuffer>();
  return (lane, task) => {
    let buffer = staging.get(lane);
    if (buffer === undefined) {
      buffer = new SharedArrayBuffer(Math.min(plaintext.length, chunksPerTask * CHUNK_SIZE));
      staging.set(lane, buffer);
    }
    const base = task.first * CHUNK_SIZE;
    const length = Math.min(plaintext.length, task.end * CHUNK_SIZE) - base;
    const view = new Uint8Array(buffer, 0, Math.max(0, length));
    return {
      task: task.kind === "decrypt" ? { ...task, target: { kind: "memory", buffer, base } } : task,
      finish(reply) {
        if (reply.type === "done") plaintext.set(view, base);
        view.fill(0);
      },
    };
  };
}

function toBuffer(digest: Uint8Array | undefined): Buffer {
  if (digest === undefined) throw new EdgewardError("EW_ERR_AGE_STREAM_WORKER", { detail: "a shard has no digest" });
  return Buffer.from(digest.buffer, digest.byteOffset, digest.length);
}
