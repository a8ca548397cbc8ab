import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { ROLES, createToken, isRole, openHub } from "@edgeward/hub";
import { printJson, printLines } from "../support/output.ts";

/**
 * `edgeward hub token create`: make an operator token directly in the hub's database (on the hub's machine, for
 * when no admin token is at hand); with a token, POST /v1/tokens does the same remotely.
 */
export function registerHubToken(hub: Command): void {
  const token = hub.command("token").description("operator tokens in the hub's database");
  token
    .command("create")
    .description("create an operator token and print it once")
    .requiredOption("--dir <dir>", "the hub directory")
    .requiredOption("--role <role>", `one of ${ROLES.join(", ")}`)
    .option("--label <text>", "what the token is for", "")
    .option("--postgres <url>", "the PostgreSQL database (overrides the one hub.json names)")
    .option("--json", "print {id, token, role}")
    .action(async (flags: { dir: string; role: string; label: string; postgres?: string; json?: boolean }) => {
      if (!isRole(flags.role))
        throw new EdgewardError("EW_ERR_USAGE", { detail: `--role must be one of ${ROLES.join(", ")}` });
      const hub = await openHub({ dir: flags.dir, postgres: flags.postgres });
      const { store, audit } = hub.deps;
      try {
        const now = new Date();
        const created = await createToken(store.db, { role: flags.role, label: flags.label, createdBy: null, now });
        await audit.append({
          time: now.toISOString(),
          actor: "cli",
          kind: "token.create",
          subject: `token:${created.id}`,
          details: { newRole: created.role },
        });
        if (flags.json === true) printJson(created);
        else printLines(`Token ${created.id} (${created.role}), shown once: ${created.token}`);
      } finally {
        await audit.close();
        await store.close();
      }
    });
}
