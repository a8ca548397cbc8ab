import type { HubDeps } from "./deps.ts";
import { purgeNonces } from "./store/single-use.ts";

/** How long spent or expired nonces are kept (so a replay is still told `used`, not `unknown`) before purging. */
export const NONCE_RETENTION_MS = 10 * 60_000;

/** One round of housekeeping: deletes nonces that expired more than the retention ago. Returns what it removed. */
export async function runMaintenance(deps: Pick<HubDeps, "store" | "clock">): Promise<{ nonces: number }> {
  const before = new Date(deps.clock.now().getTime() - NONCE_RETENTION_MS);
  return { nonces: await purgeNonces(deps.store.db, before) };
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
