/**
 * Downloading a release's ciphertext (ARCHITECTURE.md "The flows" 4): into releases/ID/payload.age.part, resumed
 * with an HTTP Range request (RFC 9110 §14.2) from where a broken transfer stopped, and renamed into place only
 * once its length and SHA-256 equal what the signed TUF target says (TUF 1.0 §5.7.3). Bytes past the declared
 * length are never written.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rename, rm, stat } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { EdgewardError } from "@edgeward/core";
import { ensurePrivateDir } from "../state/files.ts";
import { dirname } from "node:path";

/** Fetches the target from `offset` (a Range request when offset > 0). */
export type RangeFetch = (offset: number) => Promise<IncomingMessage>;

/** Downloads to `dest` (resuming `dest.part`); EW_ERR_AGENT_TARGET_MISMATCH or EW_ERR_AGENT_DOWNLOAD_INCOMPLETE. */
export async function downloadTarget(
  fetchFrom: RangeFetch,
  dest: string,
  expected: { readonly length: number; readonly sha256: string },
): Promise<void> {
  const part = `${dest}.part`;
  await ensurePrivateDir(dirname(dest));
  let offset = await sizeOf(part);
  if (offset > expected.length) {
    await rm(part, { force: true });
    offset = 0;
  }
  let hash: Hash | undefined;
  if (offset < expected.length) {
    const res = await fetchFrom(offset);
    // 206 continues the partial file; 200 means the server sent it whole, so start again.
    const range = /^bytes (\d+)-/.exec(String(res.headers["content-range"] ?? ""))?.[1];
    if (res.statusCode === 200) offset = 0;
    else if (res.statusCode !== 206 || offset === 0 || Number(range) !== offset) {
      res.resume();
      throw new EdgewardError("EW_ERR_AGENT_HUB_REFUSED", { detail: `download answered ${res.statusCode}` });
    }
    // The SHA-256 is taken as the bytes are written (after the part already on disk, when resuming), so a model
    // of hundreds of MiB is not read back a second time; a failed write leaves the hash short, which fails closed.
    hash = offset === 0 ? createHash("sha256") : await hashFile(part);
    await appendBody(res, part, offset, expected.length, hash);
  }
  const got = await sizeOf(part);
  if (got < expected.length)
    throw new EdgewardError("EW_ERR_AGENT_DOWNLOAD_INCOMPLETE", { detail: `${got} of ${expected.length} bytes` });
  const digest = (hash ?? (await hashFile(part))).digest("hex");
  if (digest !== expected.sha256) {
    await rm(part, { force: true });
    throw new EdgewardError("EW_ERR_AGENT_TARGET_MISMATCH", { detail: `sha256 ${digest}` });
  }
  await rename(part, dest);
}

/** Arriving TLS records (16 KiB at most) are written in batches of about this size, one writev each. */
const WRITE_BATCH_BYTES = 1 << 20;
/** Far below IOV_MAX (1024 on Linux), so one writev never needs splitting. */
const WRITE_BATCH_BUFFERS = 256;

async function appendBody(
  res: IncomingMessage,
  part: string,
  offset: number,
  length: number,
  hash: Hash,
): Promise<void> {
  const fh = await open(part, offset === 0 ? "w" : "a", 0o600);
  let written = offset;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let writing: Promise<void> = Promise.resolve();
  // One batch is written while the next arrives, so the socket keeps flowing. Each batch is written only once the
  // one before it was, and hashed once written: a failed write stops every later one and leaves the hash short,
  // which fails closed.
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const out = batch;
    batch = [];
    batchBytes = 0;
    await writing;
    writing = fh.writev(out).then(() => {
      for (const b of out) hash.update(b);
    });
  };
  try {
    for await (const chunk of res) {
      const c = chunk as Buffer;
      if (written + c.length > length) {
        res.destroy();
        await writing.catch(() => undefined);
        await fh.close();
        await rm(part, { force: true });
        throw new EdgewardError("EW_ERR_AGENT_TARGET_MISMATCH", { detail: `more than ${length} bytes` });
      }
      batch.push(c);
      batchBytes += c.length;
      written += c.length;
      if (batchBytes >= WRITE_BATCH_BYTES || batch.length >= WRITE_BATCH_BUFFERS) await flush();
    }
    await flush();
    await writing;
  } catch (err) {
    if (err instanceof EdgewardError) throw err;
    // A broken connection keeps what arrived: the next try resumes from there.
    await flush().catch(() => undefined);
    await writing.catch(() => undefined);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashFile(path: string): Promise<Hash> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h;
}
