import type { Command } from "commander";
import { printLines } from "../support/output.ts";
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
  withHubOptions(releases.command("rollout <id>"))
    .description("set the device groups a release is rolled out to (replaces the list; admin or publisher)")
    .requiredOption("--groups <names>", 'comma-separated group names; "" withdraws the release from every group')
    .action(async (id: string, flags: HubClientFlags & { groups: string }) => {
      const groups = flags.groups
        .split(",")
        .map((g) => g.trim())
        .filter((g) => g !== "");
      const release = await (
        await hubClient(flags)
      ).post<Record<string, unknown>>(`/v1/releases/${seg(id)}/rollout`, { groups });
      if (flags.json === true) return printAnswer(release, true);
      const now = (release["groups"] as string[] | undefined) ?? [];
      printLines(
        `${String(release["name"])}@${String(release["version"])} (${id}) is rolled out to ${now.length === 0 ? "no group" : now.join(", ")}.`,
      );
    });
}
