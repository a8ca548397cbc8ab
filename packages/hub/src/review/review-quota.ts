// The hub's bounds on review entries (docs/hub.md "Review entries"): a device past its quota of entries or bytes,
// or a fleet past the total cap, is refused with a code that tells it to retry later; the device keeps the entry
// (docs/agent.md "Review entries"), so refusing loses nothing. Counted per row: a blob two rows share counts twice.
import { sql, type Kysely } from "kysely";
import { EdgewardError } from "@edgeward/core";
import type { ReviewLimits } from "./review-limits.ts";

/** What a device (or the fleet) holds. */
export interface ReviewUsage {
  readonly entries: number;
  readonly bytes: number;
}

/** The entries and bytes `deviceId` holds, or the whole fleet's without it. */
export async function reviewUsage(db: Kysely<never>, deviceId?: string): Promise<ReviewUsage> {
  const where = deviceId === undefined ? sql`` : sql`WHERE device_id = ${deviceId}`;
  const { rows } = await sql<{ entries: number | string; bytes: number | string | null }>`
    SELECT count(*) AS entries, coalesce(sum(length), 0) AS bytes FROM review_entries ${where}`.execute(db);
  return { entries: Number(rows[0]?.entries ?? 0), bytes: Number(rows[0]?.bytes ?? 0) };
}

/**
 * Refuses a new entry of `length` bytes from `deviceId` when it would take the device past its quota
 * (EW_ERR_REVIEW_QUOTA_EXCEEDED) or the fleet past its cap (EW_ERR_REVIEW_STORAGE_FULL). Checked before the entry is
 * stored; two sends of one device at the same moment may pass together (an agent sends one at a time).
 */
export async function admitReviewEntry(
  db: Kysely<never>,
  deviceId: string,
  length: number,
  limits: ReviewLimits,
): Promise<void> {
  const device = await reviewUsage(db, deviceId);
  if (device.entries + 1 > limits.maxEntriesPerDevice || device.bytes + length > limits.maxBytesPerDevice)
    throw new EdgewardError("EW_ERR_REVIEW_QUOTA_EXCEEDED", {
      detail: `${deviceId} holds ${device.entries} entries, ${device.bytes} bytes`,
    });
  const fleet = await reviewUsage(db);
  if (fleet.bytes + length > limits.maxTotalBytes)
    throw new EdgewardError("EW_ERR_REVIEW_STORAGE_FULL", { detail: `${fleet.bytes} bytes held` });
}
