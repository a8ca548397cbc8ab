import type { Command } from "commander";
import { EdgewardError, loadPrivateKey } from "@edgeward/core";
import { buildGuardBundle } from "@edgeward/guard";
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
  guard?: string;
  json?: boolean;
}

/**
 * `edgeward model publish MODEL`: seal MODEL on this machine to the hub's escrow recipient, sign it (OMS), and upload
 * ciphertext, header and signature as a release (ARCHITECTURE.md, flow 1). The plaintext never leaves this machine.
 * With `--guard guard.yaml`, the guard file and the models it names ship in the release, sealed under the same
 * file key (docs/releases.md, "A guard in a release").
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
    .option(
      "--guard <file>",
      "ship this guard file and the models it names (paths relative to it, each checked against its sha256) in the release, sealed with the model; a guard model equal to MODEL is not shipped twice",
    )
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
      if (flags.guard !== undefined && flags.kind !== "model") {
        throw new EdgewardError("EW_ERR_USAGE", { detail: "--guard is for a model release (--kind model)" });
      }
      const guard = flags.guard === undefined ? undefined : await buildGuardBundle(flags.guard, { releaseModel: path });
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
        ...(guard === undefined ? {} : { guard: { bundle: guard.bundle, configSha256: guard.configSha256 } }),
        onProgress: (sent, total) => (bar ??= progressBar("uploading", total)).update(sent),
      });
      bar?.end();
      if (flags.json === true) printJson(release);
      else
        printLines(
          `Published ${String(release["name"])}@${String(release["version"])} (${String(release["kind"])}) as release ${String(release["id"])}`,
          `TUF target ${String(release["target"])}: ${String(release["length"])} bytes, sha256 ${String(release["sha256"])}`,
          `Rolled out to: ${((release["groups"] as string[] | undefined) ?? []).join(", ") || "(no group yet)"}`,
          ...guardLines(release, guard),
        );
    });
}

/** What the human-readable output says of a shipped guard. */
function guardLines(
  release: Record<string, unknown>,
  guard: { readonly models: readonly string[]; readonly omitted: readonly string[] } | undefined,
): string[] {
  const g = release["guard"] as { target?: string; configSha256?: string; length?: number } | undefined;
  if (guard === undefined || g === undefined) return [];
  const shipped = ["guard.yaml", ...guard.models].join(", ");
  const omitted = guard.omitted.length === 0 ? "" : ` (${guard.omitted.join(", ")}: the release model itself)`;
  return [
    `Guard ${String(g.configSha256)}: TUF target ${String(g.target)}, ${String(g.length)} bytes, sealed with the model`,
    `  ships ${shipped}${omitted}`,
  ];
}
