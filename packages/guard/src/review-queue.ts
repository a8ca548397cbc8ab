import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { EdgewardError, parseRecipient, sealStream } from "@edgeward/core";

/** Where and how much the queue may hold. */
export interface ReviewQueueOptions {
  /** The folder the sealed entries go to (created 0700 if missing). */
  readonly dir: string;
  /** The review recipient (an `age1…` string): only the holder of its identity can read an entry. */
  readonly recipient: string;
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Milliseconds since the epoch; injected so tests control entry names. */
  readonly now?: () => number;
}

/** One sealed entry, as audit shipping takes it. */
export interface SealedEntry {
  readonly id: string;
  readonly ciphertext: Uint8Array;
}

const SUFFIX = ".age";

/**
 * The review queue (ARCHITECTURE.md, promise 5): each flagged input is serialised and age-encrypted to the
 * review recipient in memory, and only the ciphertext is written — to a temporary name, fsynced, then renamed —
 * so plaintext never reaches the disk, not even as a partial file. The queue is bounded by entries and bytes;
 * when full, `enqueue` fails with EW_ERR_REVIEW_QUEUE_FULL rather than growing or dropping silently.
 */
export class ReviewQueue {
  readonly #opts: ReviewQueueOptions;
  readonly #recipient;

  constructor(options: ReviewQueueOptions) {
    this.#opts = options;
    this.#recipient = parseRecipient(options.recipient);
  }

  /** Seals `entry` (any JSON value) and writes it; returns the entry's id. The plaintext buffer is zeroed. */
  async enqueue(entry: unknown): Promise<string> {
    const plaintext = new TextEncoder().encode(JSON.stringify(entry));
    const chunks: Uint8Array[] = [];
    try {
      for await (const chunk of sealStream([plaintext], [this.#recipient])) chunks.push(chunk);
    } finally {
      plaintext.fill(0);
    }
    const ciphertext = Buffer.concat(chunks);
    await mkdir(this.#opts.dir, { recursive: true, mode: 0o700 });
    const { entries, bytes } = await this.usage();
    if (entries + 1 > this.#opts.maxEntries || bytes + ciphertext.length > this.#opts.maxBytes) {
      throw new EdgewardError("EW_ERR_REVIEW_QUEUE_FULL", { detail: `${entries} entries, ${bytes} bytes` });
    }
    const id = `${String(this.#opts.now?.() ?? Date.now()).padStart(15, "0")}-${randomBytes(6).toString("hex")}`;
    const tmp = join(this.#opts.dir, `.${id}.tmp`);
    const file = await open(tmp, "wx", 0o600);
    try {
      await file.writeFile(ciphertext);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, join(this.#opts.dir, id + SUFFIX));
    return id;
  }

  /** The number of entries and their total size in bytes. */
  async usage(): Promise<{ entries: number; bytes: number }> {
    let bytes = 0;
    const ids = await this.ids();
    for (const id of ids) bytes += (await stat(join(this.#opts.dir, id + SUFFIX))).size;
    return { entries: ids.length, bytes };
  }

  /** Entry ids, oldest first. */
  async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.#opts.dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith(SUFFIX) && !n.startsWith("."))
      .map((n) => n.slice(0, -SUFFIX.length))
      .sort();
  }

  /**
   * Hands up to `limit` entries, oldest first, to `ship` (the device's audit shipping) and deletes each one only
   * after `ship` resolved for it; returns how many left.
   */
  async drain(ship: (entry: SealedEntry) => Promise<void>, limit = Infinity): Promise<number> {
    let shipped = 0;
    for (const id of await this.ids()) {
      if (shipped >= limit) break;
      const path = join(this.#opts.dir, id + SUFFIX);
      await ship({ id, ciphertext: await readFile(path) });
      await unlink(path);
      shipped++;
    }
    return shipped;
  }
}
