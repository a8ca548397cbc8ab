import type { Command } from "commander";
import { hubPaths, readPublisherKeys, trustPublisher } from "@edgeward/hub";
import { printJson, printLines } from "../support/output.ts";
import { readText } from "./log-common.ts";

/**
 * `edgeward hub publishers`: the OMS publisher keys whose release signatures the hub accepts (docs/releases.md,
 * "Publisher keys"), kept in the hub's directory and published at GET /v1/hub.
 */
export function registerHubPublishers(hub: Command): void {
  const publishers = hub.command("publishers").description("the publisher keys the hub trusts for release signatures");
  publishers
    .command("add <public-key>")
    .description("trust an OMS publisher key (SPKI PEM, e.g. the .pub `sign-keygen` wrote)")
    .requiredOption("--dir <dir>", "the hub directory")
    .option("--postgres <url>", "the PostgreSQL database (overrides the one hub.json names)")
    .option("--json", "print {id, file, added}")
    .action(async (file: string, flags: { dir: string; postgres?: string; json?: boolean }) => {
      const pem = await readText(file, "publisher key");
      const key = await trustPublisher({ dir: flags.dir, postgres: flags.postgres, pem, now: new Date() });
      if (flags.json === true) return printJson({ id: key.id, file: key.file, added: key.added });
      printLines(key.added ? `Publisher ${key.id} trusted (${key.file}).` : `Publisher ${key.id} was already trusted.`);
    });
  publishers
    .command("list")
    .description("list the trusted publisher keys")
    .requiredOption("--dir <dir>", "the hub directory")
    .option("--json", "print [{id, file}]")
    .action(async (flags: { dir: string; json?: boolean }) => {
      const keys = await readPublisherKeys(hubPaths(flags.dir).publishers);
      if (flags.json === true) return printJson(keys.map(({ id, file }) => ({ id, file })));
      printLines(
        ...(keys.length === 0
          ? ["(none: the hub refuses every release until one is added)"]
          : keys.map((k) => `${k.id}  ${k.file}`)),
      );
    });
}
