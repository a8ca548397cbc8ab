import type { Command } from "commander";
import { initHub } from "@edgeward/hub";
import { collect } from "../support/keys.ts";
import { printJson, printLines } from "../support/output.ts";
import { parseCount, readText } from "./log-common.ts";

interface InitFlags {
  dir: string;
  postgres?: string;
  force?: boolean;
  host: string[];
  url?: string;
  origin?: string;
  rootKeys?: string;
  rootThreshold?: string;
  ekCa: string[];
  publisherKey: string[];
  json?: boolean;
}

/** `edgeward hub init`: create a hub directory and print the first admin token once. */
export function registerHubInit(hub: Command): void {
  hub
    .command("init")
    .description("create a hub: device CA, TLS certificate, log key, escrow identity, TUF keys, database, admin token")
    .requiredOption("--dir <dir>", "the hub directory (created)")
    .option("--postgres <url>", "use this PostgreSQL database instead of SQLite files in the directory")
    .option("--force", "overwrite the secrets of an existing hub (they are lost)")
    .option("--host <name>", "a host name or address for the TLS certificate (repeatable)", collect, [])
    .option("--url <url>", "the URL clients use (default https://<first host>:8443)")
    .option("--origin <name>", "the audit log's origin")
    .option("--root-keys <n>", "TUF root keys to create under offline/ (default 1)")
    .option("--root-threshold <n>", "TUF root keys that must sign a new root (default 1)")
    .option(
      "--ek-ca <file>",
      "a TPM manufacturer CA certificate (PEM) to trust for EK certificates (repeatable)",
      collect,
      [],
    )
    .option(
      "--publisher-key <file>",
      "an OMS publisher public key (SPKI PEM) whose release signatures the hub accepts (repeatable)",
      collect,
      [],
    )
    .option("--json", 'print {"adminToken","caCertificate","hubUrl",…} as JSON')
    .action(async (flags: InitFlags) => {
      const result = await initHub({
        dir: flags.dir,
        postgres: flags.postgres,
        force: flags.force,
        hosts: flags.host,
        hubUrl: flags.url,
        origin: flags.origin,
        rootKeys: parseCount(flags.rootKeys, "--root-keys"),
        rootThreshold: parseCount(flags.rootThreshold, "--root-threshold"),
        ekCertificates: await Promise.all(flags.ekCa.map((f) => readText(f, "EK CA certificate"))),
        publisherKeys: await Promise.all(flags.publisherKey.map((f) => readText(f, "publisher key"))),
        now: new Date(),
      });
      if (flags.json === true) return printJson(result);
      printLines(
        `Hub created in ${result.dir} (${result.database}).`,
        `Admin token (shown once, store it now): ${result.adminToken}`,
        `CA certificate (clients pass it as --ca): ${result.caCertificate}`,
        `Hub URL: ${result.hubUrl}`,
        `Escrow recipient: ${result.escrowRecipient}`,
        `Log verifier key: ${result.logVerifierKey}`,
        `Move the TUF root and targets keys in ${result.offlineDir} off this server.`,
        result.publisherKeys.length === 0
          ? "No publisher key: the hub refuses every release until `edgeward hub publishers add KEY.pub --dir HUB`."
          : `Trusted publisher keys: ${result.publisherKeys.join(", ")}`,
      );
    });
}
