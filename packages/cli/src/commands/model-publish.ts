import type { Command } from "commander";
import { EdgewardError, loadPrivateKey } from "@edgeward/core";
import { publishRelease } from "@edgeward/hub";
import { readSmallFile } from "@edgeward/io";
import { collect } from "../support/keys.ts";
import { printJson, printLines } from "../support/output.ts";
import { progressBar } from "../support/progress.ts";

interface PublishFlags {
  hub: string;
  ca?: string;
  token?: string;
  name: string;
  version: string;
  sign: string;
  group?: string[];
  floor?: string;
  kind: string;
  unsealed?: boolean;
  json?: boolean;
}

/**
 * `edgeward model publish MODEL`: seal MODEL on this machine to the hub's escrow recipient, sign it (OMS), and upload
 * ciphertext, header and signature as a release (ARCHITECTURE.md, flow 1). The plaintext never leaves this machine.
 */
export function registerModelPublish(model: Command): void {
  model
    .command("publish")
    .description("seal, sign and upload MODEL as a release of the hub (the plaintext stays here)")
    .argument("<model>", "the plaintext model (or package) file")
    .requiredOption("--hub <url>", "the hub, https://host:port")
    .option("--ca <file>", "PEM file of the CA to trust for the hub (the ca.pem `hub init` made)")
    .option("--token <token>", "a publisher token (default: $EDGEWARD_HUB_TOKEN)")
    .requiredOption("--name <name>", "the release name")
    .requiredOption("--version <version>", "the release version")
    .requiredOption("--sign <key>", "the publisher's signing key (NAME.key from sign-keygen)")
    .option("--group <group>", "a device group to roll the release out to (repeatable)", collect)
    .option("--floor <version>", "the version floor devices are raised to (default: the version)")
    .option("--kind <kind>", "model or package", "model")
    .option("--unsealed", "publish a package without sealing it (signed only)")
    .option("--json", "print the release as JSON")
    .action(async (path: string, flags: PublishFlags) => {
      if (flags.kind !== "model" && flags.kind !== "package") {
        throw new EdgewardError("EW_ERR_USAGE", { detail: "--kind is model or package" });
      }
      const token = flags.token ?? process.env["EDGEWARD_HUB_TOKEN"];
      if (token === undefined)
        throw new EdgewardError("EW_ERR_USAGE", { detail: "give --token or EDGEWARD_HUB_TOKEN" });
      const ca = flags.ca === undefined ? undefined : (await readSmallFile(flags.ca, "hub CA")).toString();
      const signingKey = loadPrivateKey(await readSmallFile(flags.sign, "signing key"));
      let bar: ReturnType<typeof progressBar> | undefined;
      const release = await publishRelease({
        hub: flags.hub,
        ca,
        token,
        model: path,
        name: flags.name,
        version: flags.version,
        kind: flags.kind,
        groups: flags.group ?? [],
        floor: flags.floor,
        signingKey,
        sealed: flags.unsealed !== true,
        onProgress: (sent, total) => (bar ??= progressBar("uploading", total)).update(sent),
      });
      bar?.end();
      if (flags.json === true) printJson(release);
      else
        printLines(
          `Published ${String(release["name"])}@${String(release["version"])} (${String(release["kind"])}) as release ${String(release["id"])}`,
          `TUF target ${String(release["target"])}: ${String(release["length"])} bytes, sha256 ${String(release["sha256"])}`,
          `Rolled out to: ${((release["groups"] as string[] | undefined) ?? []).join(", ") || "(no group yet)"}`,
        );
    });
}
