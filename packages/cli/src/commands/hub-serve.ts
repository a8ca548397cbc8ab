import type { Command } from "commander";
import { serveHub } from "@edgeward/hub";
import { EdgewardError } from "@edgeward/core";
import { printJson } from "../support/output.ts";

interface ServeFlags {
  dir: string;
  listen: string;
  postgres?: string;
  maxEventLoopDelay: number;
  maxInFlight: number;
  maxPendingWrites: number;
  retryAfter: number;
}

/** A whole number of at least 0, for the overload flags (docs/hub.md "Overload"); EW_ERR_USAGE otherwise. */
function count(value: string): number {
  const n = Number(value);
  if (!/^\d{1,9}$/.test(value) || !Number.isSafeInteger(n))
    throw new EdgewardError("EW_ERR_USAGE", { detail: `expected a whole number, got ${value}` });
  return n;
}

/** `edgeward hub serve`: run the hub over HTTPS until SIGINT or SIGTERM. */
export function registerHubServe(hub: Command): void {
  hub
    .command("serve")
    .description("serve the hub's operator and device API over HTTPS (TLS 1.2+, client certificates requested)")
    .requiredOption("--dir <dir>", "the hub directory")
    .requiredOption("--listen <host:port>", "where to listen, e.g. 0.0.0.0:8443")
    .option("--postgres <url>", "the PostgreSQL database (overrides the one hub.json names)")
    .option("--max-event-loop-delay <ms>", "shed device requests above this event-loop delay (0: off)", count, 1000)
    .option("--max-in-flight <n>", "shed device requests above this many being handled (0: off)", count, 512)
    .option("--max-pending-writes <n>", "shed device requests above this many queued queries (0: off)", count, 256)
    .option("--retry-after <s>", "the least Retry-After of a shed request, seconds (plus up to 20 s jitter)", count, 10)
    .action(async (flags: ServeFlags) => {
      const hub = await serveHub({
        dir: flags.dir,
        listen: flags.listen,
        postgres: flags.postgres,
        overload: {
          maxEventLoopDelayMs: flags.maxEventLoopDelay,
          maxInFlight: flags.maxInFlight,
          maxPendingWrites: flags.maxPendingWrites,
          retryAfterS: flags.retryAfter,
        },
      });
      printJson({ listening: hub.url });
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      await hub.close();
    });
}
