// What the hub keeps of review entries (docs/hub.md "Review entries"): a quota per device, a cap for the whole
// fleet, and an optional retention. Set in hub.json's `review` section; every field has a default.
import { EdgewardError } from "@edgeward/core";

/** The review limits in force. */
export interface ReviewLimits {
  /** Most entries one device may hold on the hub. */
  readonly maxEntriesPerDevice: number;
  /** Most bytes of ciphertext one device may hold on the hub. */
  readonly maxBytesPerDevice: number;
  /** Most bytes of review ciphertext the hub holds for every device together. */
  readonly maxTotalBytes: number;
  /** Entries received more than this many days ago are removed by the maintenance loop; 0 keeps them. */
  readonly retentionDays: number;
  /** The Retry-After (seconds) a refused device is told. */
  readonly retryAfterSeconds: number;
}

/** The defaults: a device's quota matches the agent's own queue bounds (docs/agent.md "Review entries"). */
export const DEFAULT_REVIEW_LIMITS: ReviewLimits = {
  maxEntriesPerDevice: 1000,
  maxBytesPerDevice: 256 * 1024 * 1024,
  maxTotalBytes: 16 * 1024 * 1024 * 1024,
  retentionDays: 0,
  retryAfterSeconds: 900,
};

/**
 * The limits from hub.json's `review` section (absent: the defaults); a field that is not a whole number in range
 * is EW_ERR_HUB_DIR_INVALID, naming it.
 */
export function parseReviewLimits(section: unknown, where = "hub.json review"): ReviewLimits {
  if (section === undefined) return DEFAULT_REVIEW_LIMITS;
  if (typeof section !== "object" || section === null || Array.isArray(section))
    throw new EdgewardError("EW_ERR_HUB_DIR_INVALID", { detail: `${where} must be an object` });
  const given = section as Record<string, unknown>;
  const out: Record<string, number> = { ...DEFAULT_REVIEW_LIMITS };
  for (const key of Object.keys(given)) {
    const value = given[key];
    if (!(key in DEFAULT_REVIEW_LIMITS))
      throw new EdgewardError("EW_ERR_HUB_DIR_INVALID", { detail: `${where}: unknown field ${key}` });
    const min = key === "retentionDays" ? 0 : 1;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min)
      throw new EdgewardError("EW_ERR_HUB_DIR_INVALID", {
        detail: `${where}.${key} must be a whole number of at least ${min}`,
      });
    out[key] = value;
  }
  return out as unknown as ReviewLimits;
}
