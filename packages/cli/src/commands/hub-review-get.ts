import type { Command } from "commander";
import { reviewEntry } from "@edgeward/hub";
import { writeOutput } from "@edgeward/io";
import { hubClient, printAnswer, withHubOptions, type HubClientFlags } from "./hub-common.ts";

/**
 * `edgeward hub review get DEVICE ID -o FILE`: one sealed entry, as the age file the device wrote (checked against
 * the SHA-256 the hub stored it under); open it with `age -d -i REVIEW_KEY FILE`.
 */
export function registerHubReviewGet(review: Command): void {
  withHubOptions(review.command("get"))
    .description("download one review entry (an age file only the review identity opens)")
    .argument("<device>", "the device that shipped it")
    .argument("<id>", "the entry's id (from `hub review list`)")
    .requiredOption("-o, --output <file>", "where to write the age file")
    .action(async (device: string, id: string, flags: HubClientFlags & { output: string }) => {
      const { info, ciphertext } = await reviewEntry(await hubClient(flags), device, id);
      await writeOutput(flags.output, (out) => out.writeFile(ciphertext), {
        what: "review entry",
        mode: 0o600,
        durable: true,
      });
      printAnswer({ ...info, output: flags.output }, flags.json);
    });
}
