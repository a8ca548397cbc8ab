import type { Command } from "commander";
import { hubClient, printAnswer, seg, withHubOptions, type HubClientFlags } from "./hub-common.ts";

/** `edgeward hub releases`: the releases the hub publishes (published with `edgeward model publish`). */
export function registerHubReleases(hub: Command): void {
  const releases = hub.command("releases").description("published releases");
  withHubOptions(releases.command("list"))
    .description("list releases")
    .action(async (flags: HubClientFlags) => {
      printAnswer(
        await (await hubClient(flags)).get("/v1/releases"),
        flags.json,
        (r) => `${String(r["id"])}  ${String(r["name"])}@${String(r["version"])}  ${String(r["kind"])}`,
      );
    });
  withHubOptions(releases.command("show <id>"))
    .description("show one release")
    .action(async (id: string, flags: HubClientFlags) => {
      printAnswer(await (await hubClient(flags)).get(`/v1/releases/${seg(id)}`), flags.json);
    });
}
