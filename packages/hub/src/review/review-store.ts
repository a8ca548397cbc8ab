// Review entries on the hub (docs/guard.md "Review queue"): the age ciphertext goes to the content-addressed blob
// store (its name is its SHA-256), and one row per device and entry id indexes it. The hub never holds the review
// identity, so it stores and serves what it cannot read.
import type { Kysely } from "kysely";
import { EdgewardError, wire } from "@edgeward/core";
import { blobReferenced } from "../blobs/blob-references.ts";
import type { BlobStore } from "../blobs/blob-store.ts";
import { DEFAULT_REVIEW_LIMITS, type ReviewLimits } from "./review-limits.ts";
import { admitReviewEntry } from "./review-quota.ts";

/** The row of one entry (migration 0004-review-entries). */
export interface ReviewEntryRow {
  device_id: string;
  entry_id: string;
  sha256: string;
  length: number;
  received_at: string;
}

/** The table this feature owns; the other tables are not its business. */
export interface ReviewTables {
  review_entries: ReviewEntryRow;
}

/** Stores, lists, reads and deletes sealed review entries. */
export class ReviewStore {
  readonly #db: Kysely<ReviewTables>;
  readonly #blobs: BlobStore;
  readonly #limits: ReviewLimits;

  /** `db`: the hub's database (any Kysely over it; this store names only its own table). */
  constructor(db: Kysely<never>, blobs: BlobStore, limits: ReviewLimits = DEFAULT_REVIEW_LIMITS) {
    this.#db = db as unknown as Kysely<ReviewTables>;
    this.#blobs = blobs;
    this.#limits = limits;
  }

  /**
   * Stores `ciphertext` as entry `entryId` of `deviceId`. It must be an age file (EW_ERR_REVIEW_ENTRY_INVALID) hashing
   * to `sha256`; storing the same entry again is a no-op (a device retries when an acknowledgement was lost), a
   * different one under the same id is EW_ERR_REVIEW_ENTRY_CONFLICT. A new entry past the device's quota or the
   * fleet's cap is refused (review-quota.ts); a retry of a stored one never is.
   */
  async put(deviceId: string, entryId: string, sha256: string, ciphertext: Uint8Array, now: Date): Promise<void> {
    if (!isAgeFile(ciphertext))
      throw new EdgewardError("EW_ERR_REVIEW_ENTRY_INVALID", { detail: "the entry does not start with an age header" });
    const existing = await this.#find(deviceId, entryId);
    if (existing !== undefined) {
      if (existing.sha256 === sha256) return;
      throw new EdgewardError("EW_ERR_REVIEW_ENTRY_CONFLICT", { detail: `${deviceId}/${entryId}` });
    }
    await admitReviewEntry(this.#db as never, deviceId, ciphertext.byteLength, this.#limits);
    try {
      await this.#blobs.put([ciphertext], sha256);
    } catch (err) {
      if (err instanceof EdgewardError && err.code === "EW_ERR_HUB_BLOB_DIGEST")
        throw new EdgewardError("EW_ERR_REVIEW_ENTRY_INVALID", { detail: "the SHA-256 differs", cause: err });
      throw err;
    }
    const row: ReviewEntryRow = {
      device_id: deviceId,
      entry_id: entryId,
      sha256,
      length: ciphertext.byteLength,
      received_at: now.toISOString(),
    };
    // Two replicas taking the same retry at once: the second insert conflicts and the row is the same.
    await this.#db
      .insertInto("review_entries")
      .values(row)
      .onConflict((oc) => oc.columns(["device_id", "entry_id"]).doNothing())
      .execute();
    const stored = await this.#find(deviceId, entryId);
    if (stored?.sha256 !== sha256) throw new EdgewardError("EW_ERR_REVIEW_ENTRY_CONFLICT", { detail: entryId });
    // A delete of another row naming the same blob may have removed it between our put and insert
    // (BlobStore.delete): now that our row names it, it stays, so put it back if it is gone.
    if ((await this.#blobs.stat(sha256)) === undefined) await this.#blobs.put([ciphertext], sha256);
  }

  /**
   * Deletes one entry (EW_ERR_REVIEW_ENTRY_NOT_FOUND when there is none): its row, then its blob unless another row
   * still names the same SHA-256. Returns the entry's facts and whether the blob went.
   */
  async delete(deviceId: string, entryId: string): Promise<{ info: wire.ReviewEntryInfo; blobRemoved: boolean }> {
    const row = await this.#find(deviceId, entryId);
    if (row === undefined)
      throw new EdgewardError("EW_ERR_REVIEW_ENTRY_NOT_FOUND", { detail: `${deviceId}/${entryId}` });
    const removed = await this.#db
      .deleteFrom("review_entries")
      .where("device_id", "=", deviceId)
      .where("entry_id", "=", entryId)
      .executeTakeFirst();
    // Two operators deleting at once: the second finds no row to delete, as if it came after.
    if (Number(removed.numDeletedRows) === 0)
      throw new EdgewardError("EW_ERR_REVIEW_ENTRY_NOT_FOUND", { detail: `${deviceId}/${entryId}` });
    const blobRemoved = await this.#blobs.delete(row.sha256, () => blobReferenced(this.#db as never, row.sha256));
    return { info: info(row), blobRemoved };
  }

  /** Deletes every entry received before `cutoff` (retention), oldest first, at most `limit`; returns how many. */
  async purgeBefore(cutoff: Date, limit = 1000): Promise<number> {
    const old = await this.#db
      .selectFrom("review_entries")
      .select(["device_id", "entry_id"])
      .where("received_at", "<", cutoff.toISOString())
      .orderBy("received_at")
      .limit(limit)
      .execute();
    let n = 0;
    for (const row of old) {
      try {
        await this.delete(row.device_id, row.entry_id);
        n++;
      } catch (err) {
        // Another replica's maintenance round took it first.
        if (!(err instanceof EdgewardError && err.code === "EW_ERR_REVIEW_ENTRY_NOT_FOUND")) throw err;
      }
    }
    return n;
  }

  /** Entries, newest first, of one device or all. */
  async list(options: { deviceId?: string; limit: number }): Promise<wire.ReviewEntryInfo[]> {
    let q = this.#db.selectFrom("review_entries").selectAll();
    if (options.deviceId !== undefined) q = q.where("device_id", "=", options.deviceId);
    const rows = await q.orderBy("received_at", "desc").orderBy("entry_id", "desc").limit(options.limit).execute();
    return rows.map(info);
  }

  /** One entry's facts and ciphertext, or EW_ERR_REVIEW_ENTRY_NOT_FOUND. */
  async get(deviceId: string, entryId: string): Promise<{ info: wire.ReviewEntryInfo; ciphertext: Buffer }> {
    const row = await this.#find(deviceId, entryId);
    if (row === undefined)
      throw new EdgewardError("EW_ERR_REVIEW_ENTRY_NOT_FOUND", { detail: `${deviceId}/${entryId}` });
    const chunks: Buffer[] = [];
    for await (const chunk of await this.#blobs.read(row.sha256)) chunks.push(chunk as Buffer);
    return { info: info(row), ciphertext: Buffer.concat(chunks) };
  }

  #find(deviceId: string, entryId: string): Promise<ReviewEntryRow | undefined> {
    return this.#db
      .selectFrom("review_entries")
      .selectAll()
      .where("device_id", "=", deviceId)
      .where("entry_id", "=", entryId)
      .executeTakeFirst();
  }
}

/** True when `bytes` starts with the age header's version line (c2sp.org/age §Header). */
export function isAgeFile(bytes: Uint8Array): boolean {
  const magic = Buffer.from(wire.AGE_FILE_MAGIC, "ascii");
  return bytes.byteLength > magic.length && Buffer.from(bytes.subarray(0, magic.length)).equals(magic);
}

function info(row: ReviewEntryRow): wire.ReviewEntryInfo {
  return {
    deviceId: row.device_id,
    id: row.entry_id,
    sha256: row.sha256,
    length: Number(row.length),
    receivedAt: row.received_at,
  };
}
