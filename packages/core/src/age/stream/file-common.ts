import type { FileHandle } from "node:fs/promises";
import { EdgewardError } from "../../errors/index.ts";
import { CHUNK_SIZE } from "./format.ts";

// Pieces the file fast paths share: how work is cut into tasks, and checks on the caller's file handles.

/** Chunks per task when tasks are not shards: 2 MiB, small enough to balance two cores to the end. */
export const TASK_CHUNKS = 32;

/** Payloads up to this size are processed on the calling thread: a worker round trip would cost more. */
export const INLINE_LIMIT = 1024 * 1024;

/** Tasks larger than this run one per worker at a time, so a few large shards still spread over the cores. */
export const DEEP_TASK_LIMIT = 8 * 1024 * 1024;

/** Progress callback of the file fast paths: plaintext bytes done so far, and in all. */
export type ProgressCallback = (bytesDone: number, total: number) => void;

/** Splits chunks [0, count) into ranges of `size` chunks. */
export function chunkRanges(count: number, size: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let first = 0; first < count; first += size) ranges.push([first, Math.min(count, first + size)]);
  return ranges;
}

/** The size of a regular file; other inputs have no size to split work by and go through the stream API. */
export async function regularFileSize(handle: FileHandle, role: string): Promise<number> {
  const stat = await handle.stat();
  if (!stat.isFile()) {
    throw new EdgewardError("EW_ERR_USAGE", {
      detail: `the ${role} is not a regular file; use encryptPayload/decryptPayload for streams`,
    });
  }
  return stat.size;
}

/** The output position to write at: `position` when given, else the output's current end. */
export async function outputPosition(output: FileHandle, position: number | undefined): Promise<number> {
  if (position === undefined) return (await output.stat()).size;
  checkOffset(position, "position");
  return position;
}

/** Throws EW_ERR_USAGE unless `value` is a non-negative safe integer. */
export function checkOffset(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EdgewardError("EW_ERR_USAGE", { detail: `${name} must be a non-negative integer, got ${value}` });
  }
}

/** Throws EW_ERR_USAGE unless `parallelism` is absent or a positive integer. */
export function checkParallelism(parallelism: number | undefined): void {
  if (parallelism !== undefined && (!Number.isSafeInteger(parallelism) || parallelism < 1)) {
    throw new EdgewardError("EW_ERR_USAGE", { detail: `parallelism must be a positive integer, got ${parallelism}` });
  }
}

/** Plaintext bytes per shard must be whole chunks, so each shard is decrypted and hashed by one thread. */
export function checkShardSize(shardSize: number): void {
  if (!Number.isSafeInteger(shardSize) || shardSize <= 0 || shardSize % CHUNK_SIZE !== 0) {
    throw new EdgewardError("EW_ERR_AGE_STREAM_SHARD_SIZE", { detail: `got ${shardSize}` });
  }
}

/** Writes all of `data` at `position`. */
export async function writeAllAt(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    if (bytesWritten === 0) throw new EdgewardError("EW_ERR_IO", { detail: `write returned 0 at ${position + done}` });
    done += bytesWritten;
  }
}

/** Reads up to `length` bytes at `position`; returns fewer only at the end of the file. */
export async function readUpTo(handle: FileHandle, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}
