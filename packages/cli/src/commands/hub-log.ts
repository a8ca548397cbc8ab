import type { Command } from "commander";
import { parseCount } from "./log-common.ts";
import { hubClient, printAnswer, withHubOptions, type HubClientFlags } from "./hub-common.ts";

/** `edgeward hub log`: the hub's audit log — signed checkpoint, inclusion and consistency proofs. */
export function registerHubLog(hub: Command): void {
  const log = hub.command("log").description("the hub's audit log: checkpoints and proofs");
  withHubOptions(log.command("checkpoint"))
    .description("the latest signed checkpoint")
    .action(async (flags: HubClientFlags) => {
      const cp = await (await hubClient(flags)).get<{ checkpoint: string }>("/v1/log/checkpoint");
      if (flags.json === true) printAnswer(cp, true);
      else process.stdout.write(cp.checkpoint);
    });
  withHubOptions(log.command("proof"))
    .description("an entry and its inclusion proof")
    .requiredOption("--index <n>", "the entry's index")
    .option("--size <n>", "the tree size to prove against (default: latest)")
    .action(async (flags: HubClientFlags & { index: string; size?: string }) => {
      const query = { index: parseCount(flags.index, "--index"), size: parseCount(flags.size, "--size") };
      printAnswer(await (await hubClient(flags)).get("/v1/log/proof", query), flags.json);
    });
  withHubOptions(log.command("consistency"))
    .description("a consistency proof between two tree sizes")
    .requiredOption("--from <n>", "the older tree size")
    .option("--to <n>", "the newer tree size (default: latest)")
    .action(async (flags: HubClientFlags & { from: string; to?: string }) => {
      const query = { from: parseCount(flags.from, "--from"), to: parseCount(flags.to, "--to") };
      printAnswer(await (await hubClient(flags)).get("/v1/log/consistency", query), flags.json);
    });
}
