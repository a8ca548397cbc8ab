import type { HubDeps } from "./deps.ts";
import { expireReviewEntries } from "./review/retention.ts";
import { purgeNonces } from "./store/single-use.ts";

/** How long spent or expired nonces are kept (so a replay is still told `used`, not `unknown`) before purging. */
export const NONCE_RETENTION_MS = 10 * 60_000;

/**
 * One round of housekeeping: deletes nonces that expired more than the retention ago and, when the hub keeps review
 * entries for a limited time (`review.retentionDays`, docs/hub.md "Review entries"), the entries older than that.
 * Returns what it removed (`reviewEntries` only with a retention).
 */
export async function runMaintenance(
  deps: Pick<HubDeps, "store" | "clock"> & Partial<Pick<HubDeps, "blobs" | "review" | "audit">>,
): Promise<{ nonces: number; reviewEntries?: number }> {
  const nonces = await purgeNonces(deps.store.db, new Date(deps.clock.now().getTime() - NONCE_RETENTION_MS));
  const reviewEntries = await expireReviewEntries(deps);
  return reviewEntries === undefined ? { nonces } : { nonces, reviewEntries };
}

/**
 * Runs {@link runMaintenance} every `intervalMs` (default a minute) until stopped; a failed round is logged and
 * the next one tries again. Every replica may run it: the deletes are idempotent.
 */
export function startMaintenance(deps: HubDeps, intervalMs = 60_000): { stop(): void } {
  const timer = setInterval(() => {
    runMaintenance(deps).catch((err: unknown) => deps.logger.warn({ err }, "maintenance round failed"));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
