import { createHash } from "node:crypto";
import { constants, readSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { EdgewardError } from "../errors/index.ts";
import { hashPool, type HashTask } from "./hash-pool.ts";
import type { ByteRange } from "./layout.ts";

/** Where a single-file model's bytes are: a path, or bytes in memory (SharedArrayBuffer-backed: no copies). */
export type ModelSource =
  | { readonly kind: "fd"; readonly fd: number }
  | { readonly kind: "bytes"; readonly data: Uint8Array };

/** Below this many bytes the main thread hashes by itself: cheaper than a round trip to a worker. */
const INLINE_MAX = 4 * 1024 * 1024;
const INLINE_READ = 256 * 1024;
/** Largest range of non-shared memory copied to a worker (see hashRanges). */
const STAGING_MAX = 64 * 1024 * 1024;

/**
 * SHA-256 of each range of the model, in order. Large inputs go to the worker pool one range per task, so both
 * cores hash; every task has settled before this returns or throws (the file descriptor stays valid until then).
 */
export async function hashRanges(source: ModelSource, ranges: readonly ByteRange[]): Promise<Buffer[]> {
  const total = ranges.reduce((sum, r) => sum + (r.end - r.start), 0);
  const longest = ranges.reduce((max, r) => Math.max(max, r.end - r.start), 0);
  // Non-shared memory reaches a worker only as a copy in its staging buffer; past STAGING_MAX per range
  // (upstream's 1 GB shards, a whole-file `files` digest) that buffer would cost more than hashing here.
  const staged = source.kind === "bytes" && !(source.data.buffer instanceof SharedArrayBuffer);
  if (total <= INLINE_MAX || (staged && longest > STAGING_MAX)) return ranges.map((r) => hashInline(source, r));
  const pool = hashPool();
  const all = Promise.allSettled(ranges.map((r) => pool.hash(toTask(source, r))));
  // This thread hashes from the same queue as the workers, with the same 256 KiB positioned reads.
  await pool.assist((task) => hashInline(fromTask(task), task));
  const settled = await all;
  return settled.map((s) => {
    if (s.status === "rejected") throw s.reason;
    return s.value;
  });
}

/**
 * Opens a single-file model for reading and runs `fn` with its descriptor and size; closes it afterwards.
 * A directory or special file is EW_ERR_OMS_UNSUPPORTED (OMS directory models are not supported here), and with
 * `refuseSymlink` so is a symbolic link — the signer records `allow_symlinks: false`, as upstream does by default.
 * Other open and stat failures are EW_ERR_IO.
 */
export async function withModelFile<T>(
  path: string,
  refuseSymlink: boolean,
  fn: (fd: number, size: number) => Promise<T>,
): Promise<T> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; the stat below then refuses it. No effect on files.
    const flags = constants.O_RDONLY | constants.O_NONBLOCK | (refuseSymlink ? constants.O_NOFOLLOW : 0);
    handle = await open(path, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ELOOP")
      throw new EdgewardError("EW_ERR_OMS_UNSUPPORTED", {
        detail: `${path} is a symbolic link; give the file it points to`,
      });
    if (code === "EISDIR") throw directory(path);
    throw new EdgewardError("EW_ERR_IO", { detail: `cannot open ${path}`, cause: err });
  }
  try {
    let stat;
    try {
      stat = await handle.stat();
    } catch (err) {
      throw new EdgewardError("EW_ERR_IO", { detail: `cannot stat ${path}`, cause: err });
    }
    if (stat.isDirectory()) throw directory(path);
    if (!stat.isFile()) throw new EdgewardError("EW_ERR_OMS_UNSUPPORTED", { detail: `${path} is not a regular file` });
    return await fn(handle.fd, stat.size);
  } finally {
    await handle.close();
  }
}

function directory(path: string): EdgewardError {
  return new EdgewardError("EW_ERR_OMS_UNSUPPORTED", {
    detail: `${path} is a directory; only single-file models are supported`,
  });
}

function toTask(source: ModelSource, r: ByteRange): HashTask {
  return source.kind === "fd"
    ? { kind: "fd", fd: source.fd, start: r.start, end: r.end }
    : { kind: "bytes", data: source.data, start: r.start, end: r.end };
}

function fromTask(task: HashTask): ModelSource {
  return task.kind === "fd" ? { kind: "fd", fd: task.fd } : { kind: "bytes", data: task.data };
}

function hashInline(source: ModelSource, r: ByteRange): Buffer {
  const sha = createHash("sha256");
  if (source.kind === "bytes") return sha.update(source.data.subarray(r.start, r.end)).digest();
  const buffer = Buffer.allocUnsafe(Math.min(INLINE_READ, Math.max(1, r.end - r.start)));
  for (let pos = r.start; pos < r.end; ) {
    let n: number;
    try {
      n = readSync(source.fd, buffer, 0, Math.min(buffer.length, r.end - pos), pos);
    } catch (err) {
      throw new EdgewardError("EW_ERR_IO", { detail: "reading the model", cause: err });
    }
    if (n === 0) throw new EdgewardError("EW_ERR_IO", { detail: "the model file changed while it was hashed" });
    sha.update(buffer.subarray(0, n));
    pos += n;
  }
  return sha.digest();
}
