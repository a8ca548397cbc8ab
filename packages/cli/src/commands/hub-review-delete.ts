import type { Command } from "commander";
import { deleteReviewEntry } from "@edgeward/hub";
import { hubClient, printAnswer, withHubOptions, type HubClientFlags } from "./hub-common.ts";

/**
 * `edgeward hub review delete DEVICE ID`: removes one entry from the hub (docs/hub.md "Review entries"); the hub
 * keeps its blob while another entry shares it, and records the deletion as `review.delete` in its audit log.
 */
export function registerHubReviewDelete(review: Command): void {
  withHubOptions(review.command("delete"))
    .description("delete one review entry from the hub (operators and admins)")
    .argument("<device>", "the device that shipped it")
    .argument("<id>", "the entry's id (from `hub review list`)")
    .action(async (device: string, id: string, flags: HubClientFlags) => {
      const answer = await deleteReviewEntry(await hubClient(flags), device, id);
      printAnswer(answer, flags.json);
    });
}
