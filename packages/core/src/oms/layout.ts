/**
 * How a single-file model is cut into OMS resources (model-transparency `_serialization/file_shard.py` and
 * `manifest.py`). The model path is the file itself, so each resource is named relative to it: `.` for the
 * `files` method and `.:START:END` for the `shards` method, END exclusive. Shards are
 * [i·S, min((i+1)·S, n)) for i < ⌈n/S⌉: an empty file has no shards, and no shard is ever empty
 * (file_shard.py `_endpoints`). These are exactly the ranges whose SHA-256 the age decryptor reports.
 */

/** A half-open byte range [start, end). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** The resource name of a single-file model under the `files` method (the path relative to itself). */
export const SINGLE_FILE_RESOURCE = ".";

/** The byte ranges of the shards of an `n`-byte file. */
export function shardRanges(size: number, shardSize: number): ByteRange[] {
  const ranges: ByteRange[] = [];
  for (let start = 0; start < size; start += shardSize) ranges.push({ start, end: Math.min(start + shardSize, size) });
  return ranges;
}

/** `PATH:START:END` (manifest.py `_Shard.__str__`). */
export function shardResourceName(path: string, range: ByteRange): string {
  return `${path}:${range.start}:${range.end}`;
}

/** The resource `algorithm` of a shard digest (io.py `ShardedFileHasher.digest_name`). */
export function shardAlgorithm(shardSize: number): string {
  return `sha256-sharded-${shardSize}`;
}

/**
 * Parses `PATH:START:END` (manifest.py `_Shard.from_str`: exactly three `:`-separated parts). Offsets must be
 * canonical decimals (no sign, no leading zeros) so that one shard has one spelling. Undefined when malformed.
 */
export function parseShardName(name: string): { path: string; range: ByteRange } | undefined {
  const parts = name.split(":");
  if (parts.length !== 3) return undefined;
  const [path, start, end] = parts as [string, string, string];
  if (path === "" || !CANONICAL_UINT.test(start) || !CANONICAL_UINT.test(end)) return undefined;
  const range = { start: Number(start), end: Number(end) };
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end)) return undefined;
  return { path, range };
}

/**
 * Checks that `ranges` (in any order) are exactly the shards of some file under `shardSize` and returns that
 * file's size, or undefined when they are not: a gap, an overlap, a short shard before the last, or a shard
 * longer than the shard size.
 */
export function sizeFromShardRanges(ranges: readonly ByteRange[], shardSize: number): number | undefined {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  let expected = 0;
  for (const [i, r] of sorted.entries()) {
    const last = i === sorted.length - 1;
    if (r.start !== expected || r.end <= r.start) return undefined;
    if (last ? r.end - r.start > shardSize : r.end - r.start !== shardSize) return undefined;
    expected = r.end;
  }
  return expected;
}

const CANONICAL_UINT = /^(0|[1-9][0-9]{0,15})$/;
