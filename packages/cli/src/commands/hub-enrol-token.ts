import type { Command } from "commander";
import { parseCount } from "./log-common.ts";
import { hubClient, withHubOptions, type HubClientFlags } from "./hub-common.ts";
import { printJson, printLines } from "../support/output.ts";

/** `edgeward hub enrol-token`: a one-time enrolment token for a device without an EK certificate. */
export function registerHubEnrolToken(hub: Command): void {
  withHubOptions(hub.command("enrol-token"))
    .description("make a one-time enrolment token bound to a group")
    .option("--group <name>", "the group the device joins (default: default)")
    .option("--ttl <seconds>", "how long the token stays usable (default 1 day)")
    .action(async (flags: HubClientFlags & { group?: string; ttl?: string }) => {
      const ttl = parseCount(flags.ttl, "--ttl");
      const body = {
        ...(flags.group === undefined ? {} : { group: flags.group }),
        ...(ttl === undefined ? {} : { ttlSeconds: ttl }),
      };
      const made = await (
        await hubClient(flags)
      ).post<{ enrolToken: string; expiresAt: string; group: string }>("/v1/enrol-tokens", body);
      if (flags.json === true) printJson({ enrolToken: made.enrolToken, expiresAt: made.expiresAt, group: made.group });
      else printLines(`Enrolment token for group ${made.group}, until ${made.expiresAt}: ${made.enrolToken}`);
    });
}
