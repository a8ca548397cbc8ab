import type { Command } from "commander";
import { renderText, type AuditReport } from "@edgeward/audit";
import { printJson, printLines } from "../support/output.ts";
import { hubClient, printAnswer, seg, withHubOptions, type HubClientFlags } from "./hub-common.ts";

const ACTIONS = ["approve", "quarantine", "release", "revoke"] as const;

const line = (d: Record<string, unknown>): string =>
  `${String(d["id"])}  ${String(d["state"])}  ${String(d["attestation"])}  group=${String(d["group"])}`;

/** The answer of GET /v1/devices/:id/audit. */
interface HeldAudit {
  readonly deviceId: string;
  readonly at: string;
  readonly report: Record<string, unknown>;
}

/** `edgeward hub devices`: list, show and change the state of devices. */
export function registerHubDevices(hub: Command): void {
  const devices = hub
    .command("devices")
    .description("the fleet: list, show, audit, approve, quarantine, release, revoke");
  withHubOptions(devices.command("list"))
    .description("list devices (id, state, attestation, group)")
    .option("--group <name>", "only this group")
    .option("--state <state>", "only this state")
    .option("--after <id>", "page: ids after this one")
    .option("--limit <n>", "page size (default 100)")
    .action(async (flags: HubClientFlags & { group?: string; state?: string; after?: string; limit?: string }) => {
      const client = await hubClient(flags);
      const query = { group: flags.group, state: flags.state, after: flags.after, limit: flags.limit };
      printAnswer(await client.get("/v1/devices", query), flags.json, line);
    });
  withHubOptions(devices.command("show <id>"))
    .description("show one device")
    .action(async (id: string, flags: HubClientFlags) => {
      printAnswer(await (await hubClient(flags)).get(`/v1/devices/${seg(id)}`), flags.json);
    });
  withHubOptions(devices.command("audit <id>"))
    .description("show the latest audit report the device sent (EW_ERR_HUB_AUDIT_NOT_FOUND when none yet)")
    .action(async (id: string, flags: HubClientFlags) => {
      const held = await (await hubClient(flags)).get<HeldAudit>(`/v1/devices/${seg(id)}/audit`);
      if (flags.json === true) return printJson(held);
      // The report came from the device: render it as the audit does when it has checks, else show it raw.
      const body = Array.isArray(held.report["checks"])
        ? renderText(held.report as unknown as AuditReport).trimEnd()
        : JSON.stringify(held.report, null, 2);
      printLines(`device: ${held.deviceId}`, `received: ${held.at}`, body);
    });
  for (const action of ACTIONS)
    withHubOptions(devices.command(`${action} <id>`))
      .description(`${action} a device`)
      .option("--reason <text>", "why (recorded in the audit log)")
      .action(async (id: string, flags: HubClientFlags & { reason?: string }) => {
        const body = flags.reason === undefined ? {} : { reason: flags.reason };
        printAnswer(await (await hubClient(flags)).post(`/v1/devices/${seg(id)}/${action}`, body), flags.json);
      });
}
