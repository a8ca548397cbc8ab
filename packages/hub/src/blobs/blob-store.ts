import { createHash, randomBytes } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { EdgewardError } from "@edgeward/core";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Bytes per read when a blob is streamed out. */
const READ_SIZE = 1 << 20;

/** A stored blob's facts. */
export interface BlobInfo {
  readonly sha256: string;
  readonly length: number;
}

/**
 * Content-addressed storage for ciphertext blobs on the filesystem: each blob lives at `<dir>/<aa>/<sha256>`
 * (lowercase hex; `aa` its first two digits). A write goes to a temporary file in the same directory, is fsynced and
 * then renamed into place, so a reader never sees a partial blob and replicas sharing the directory agree on
 * contents: the name is the content. Plaintext never comes here (ARCHITECTURE.md, rules: the hub keeps ciphertext).
 */
export class BlobStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Stores `chunks`; when `expected` is given, refuses (EW_ERR_HUB_BLOB_DIGEST) content with another sha256. */
  async put(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, expected?: string): Promise<BlobInfo> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.tmp-${randomBytes(8).toString("hex")}`);
    const hash = createHash("sha256");
    let length = 0;
    const file = await open(tmp, "wx", 0o600);
    try {
      for await (const chunk of chunks) {
        hash.update(chunk);
        length += chunk.byteLength;
        await file.write(chunk);
      }
      await file.sync();
    } catch (err) {
      await file.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err instanceof EdgewardError ? err : new EdgewardError("EW_ERR_IO", { detail: "blob write", cause: err });
    }
    await file.close();
    const sha256 = hash.digest("hex");
    if (expected !== undefined && expected !== sha256) {
      await rm(tmp, { force: true });
      throw new EdgewardError("EW_ERR_HUB_BLOB_DIGEST", { detail: `expected ${expected}, got ${sha256}` });
    }
    await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true, mode: 0o700 });
    await rename(tmp, this.#path(sha256));
    return { sha256, length };
  }

  /** The blob's length, or undefined when it is not stored. */
  async stat(sha256: string): Promise<BlobInfo | undefined> {
    const path = this.#path(sha256);
    try {
      return { sha256, length: (await stat(path)).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new EdgewardError("EW_ERR_IO", { detail: `blob ${sha256}`, cause: err });
    }
  }

  /** A stream of the blob's bytes `start`..`end` (inclusive, as HTTP Range), or EW_ERR_HUB_BLOB_NOT_FOUND. */
  async read(sha256: string, range?: { start: number; end: number }): Promise<ReadStream> {
    if ((await this.stat(sha256)) === undefined)
      throw new EdgewardError("EW_ERR_HUB_BLOB_NOT_FOUND", { detail: sha256 });
    // 1 MiB reads: a release of hundreds of MiB goes out in a sixteenth of the default 64 KiB reads and writes.
    return createReadStream(this.#path(sha256), { ...range, highWaterMark: READ_SIZE });
  }

  /** Reads the whole blob and checks it still hashes to its name (EW_ERR_HUB_BLOB_DIGEST when damaged). */
  async verify(sha256: string): Promise<BlobInfo> {
    const hash = createHash("sha256");
    let length = 0;
    for await (const chunk of await this.read(sha256)) {
      hash.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
    const actual = hash.digest("hex");
    if (actual !== sha256)
      throw new EdgewardError("EW_ERR_HUB_BLOB_DIGEST", { detail: `${sha256} hashes to ${actual}` });
    return { sha256, length };
  }

  /**
   * Removes the blob unless `referenced()` says a row still names it; true when this call removed it. Content
   * addressing lets several rows share one blob, so the caller deletes its own row first and `referenced` looks for
   * any other. The blob is first renamed aside (atomic: a reader sees the whole blob or none), then `referenced` is
   * asked again: a row that named it meanwhile gets it renamed back; otherwise the renamed file is unlinked. A writer
   * that stores the same content while this runs must check with {@link stat} after inserting its row and put it
   * again when it is gone (review-store.ts does).
   */
  async delete(sha256: string, referenced: () => Promise<boolean>): Promise<boolean> {
    const path = this.#path(sha256);
    if (await referenced()) return false;
    const aside = join(this.dir, `.del-${randomBytes(8).toString("hex")}`);
    try {
      await rename(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw new EdgewardError("EW_ERR_IO", { detail: `blob ${sha256}`, cause: err });
    }
    try {
      if (await referenced()) {
        await rename(aside, path);
        return false;
      }
    } catch (err) {
      await rename(aside, path).catch(() => undefined);
      throw err;
    }
    await rm(aside, { force: true });
    return true;
  }

  /** Nothing to release; present so the app can close every dependency alike. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  #path(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new EdgewardError("EW_ERR_HUB_BLOB_NOT_FOUND", { detail: "not a sha256 name" });
    return join(this.dir, sha256.slice(0, 2), sha256);
  }
}
