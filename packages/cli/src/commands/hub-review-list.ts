import type { Command } from "commander";
import { listReviewEntries } from "@edgeward/hub";
import { parseCount } from "./log-common.ts";
import { hubClient, printAnswer, withHubOptions, type HubClientFlags } from "./hub-common.ts";

/** `edgeward hub review list`: the sealed review entries devices shipped, newest first (never their content). */
export function registerHubReviewList(review: Command): void {
  withHubOptions(review.command("list"))
    .description("the review entries devices shipped, newest first")
    .option("--device <id>", "only this device's entries")
    .option("--limit <n>", "at most N entries (1 to 1000, default 100)")
    .action(async (flags: HubClientFlags & { device?: string; limit?: string }) => {
      const limit = parseCount(flags.limit, "--limit");
      const entries = await listReviewEntries(await hubClient(flags), {
        ...(flags.device === undefined ? {} : { deviceId: flags.device }),
        ...(limit === undefined ? {} : { limit }),
      });
      printAnswer(
        entries,
        flags.json,
        (e) => `${String(e["receivedAt"])}  ${String(e["deviceId"])}  ${String(e["id"])}  ${String(e["length"])} bytes`,
      );
    });
}
