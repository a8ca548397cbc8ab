import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { ROLES } from "@edgeward/hub";
import { hubClient, printAnswer, seg, withHubOptions, type HubClientFlags } from "./hub-common.ts";

/** `edgeward hub tokens`: operator tokens through the API (admin only): create, list, revoke. */
export function registerHubTokens(hub: Command): void {
  const tokens = hub.command("tokens").description("operator tokens through the API (admin tokens only)");
  withHubOptions(tokens.command("create"))
    .description("create a token and print it once")
    .requiredOption("--role <role>", `one of ${ROLES.join(", ")}`)
    .option("--label <text>", "what the token is for")
    .action(async (flags: HubClientFlags & { role: string; label?: string }) => {
      if (!(ROLES as readonly string[]).includes(flags.role))
        throw new EdgewardError("EW_ERR_USAGE", { detail: `--role must be one of ${ROLES.join(", ")}` });
      const body = { role: flags.role, ...(flags.label === undefined ? {} : { label: flags.label }) };
      printAnswer(await (await hubClient(flags)).post("/v1/tokens", body), flags.json);
    });
  withHubOptions(tokens.command("list"))
    .description("list tokens (never their secrets)")
    .action(async (flags: HubClientFlags) => {
      printAnswer(await (await hubClient(flags)).get("/v1/tokens"), flags.json, (t) =>
        [t["id"], t["role"], t["revokedAt"] === null ? "active" : `revoked ${t["revokedAt"] as string}`, t["label"]]
          .map(String)
          .join("  "),
      );
    });
  withHubOptions(tokens.command("revoke <id>"))
    .description("revoke a token; every replica refuses it from the next request")
    .action(async (id: string, flags: HubClientFlags) => {
      printAnswer(await (await hubClient(flags)).post(`/v1/tokens/${seg(id)}/revoke`), flags.json);
    });
}
