import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { hubClient, printAnswer, seg, withHubOptions, type HubClientFlags } from "./hub-common.ts";

/** `edgeward hub groups`: device groups and their attestation policies. */
export function registerHubGroups(hub: Command): void {
  const groups = hub.command("groups").description("device groups and their policies");
  withHubOptions(groups.command("list"))
    .description("list groups")
    .action(async (flags: HubClientFlags) => {
      printAnswer(
        await (await hubClient(flags)).get("/v1/groups"),
        flags.json,
        (g) => `${String(g["name"])}  v${String(g["version"])}`,
      );
    });
  withHubOptions(groups.command("show <name>"))
    .description("show a group and its policy")
    .action(async (name: string, flags: HubClientFlags) => {
      printAnswer(await (await hubClient(flags)).get(`/v1/groups/${seg(name)}`), flags.json);
    });
  withHubOptions(groups.command("create <name>"))
    .description("create a group (with the default policy, or one from --policy)")
    .option("--policy <file>", "the policy as JSON")
    .action(async (name: string, flags: HubClientFlags & { policy?: string }) => {
      const body = flags.policy === undefined ? { name } : { name, policy: await readPolicy(flags.policy) };
      printAnswer(await (await hubClient(flags)).post("/v1/groups", body), flags.json);
    });
  withHubOptions(groups.command("set-policy <name>"))
    .description("replace a group's policy")
    .requiredOption("--policy <file>", "the policy as JSON")
    .option("--version <n>", "only if the group is still at this version")
    .action(async (name: string, flags: HubClientFlags & { policy: string; version?: string }) => {
      const body = {
        policy: await readPolicy(flags.policy),
        ...(flags.version === undefined ? {} : { version: Number(flags.version) }),
      };
      printAnswer(await (await hubClient(flags)).put(`/v1/groups/${seg(name)}/policy`, body), flags.json);
    });
}

async function readPolicy(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new EdgewardError("EW_ERR_IO", { detail: `cannot read ${path}`, cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EdgewardError("EW_ERR_HUB_POLICY_INVALID", { detail: `${path} is not JSON`, cause: err });
  }
}
