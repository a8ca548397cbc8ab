import type { Command } from "commander";
import { hubTufStatus, resignHubTargets, rotateHubRoot, type OnlineRootRole, type TufRoleStatus } from "@edgeward/hub";
import { collect } from "../support/keys.ts";
import { printJson, printLines } from "../support/output.ts";
import { parseCount } from "./log-common.ts";

interface RotateFlags extends DirFlags {
  threshold?: string;
  newKeys?: string;
  removeKey: string[];
  newOnlineKey: string[];
}

interface DirFlags {
  dir: string;
  postgres?: string;
  offline: string;
  json?: boolean;
}

/**
 * `edgeward hub tuf`: the offline side of the hub's TUF repository (docs/releases.md, "Rotating keys with the
 * offline keys"), run on the hub's machine with the offline keys brought back in a directory of their own.
 */
export function registerHubTuf(hub: Command): void {
  const tuf = hub.command("tuf").description("the TUF repository's offline keys: rotate root, sign targets, status");
  withDir(tuf.command("rotate-root"))
    .description("sign a new root version with a threshold of the current root keys (and of its own)")
    .option("--threshold <n>", "root keys the new root requires (default: the current threshold)")
    .option("--new-keys <n>", "create N new root keys in the offline directory and list them")
    .option("--remove-key <keyid>", "a current root key the new root no longer lists (repeatable)", collect, [])
    .option("--new-online-key <role>", "replace the snapshot or timestamp key in HUB/tuf/ (repeatable)", collect, [])
    .action(async (flags: RotateFlags) => {
      const root = await rotateHubRoot({
        dir: flags.dir,
        postgres: flags.postgres,
        offlineDir: flags.offline,
        now: new Date(),
        threshold: parseCount(flags.threshold, "--threshold"),
        newKeys: parseCount(flags.newKeys, "--new-keys"),
        removeKeys: flags.removeKey,
        newOnlineKeys: flags.newOnlineKey as OnlineRootRole[],
      });
      if (flags.json === true) return printJson(root);
      printLines(
        `Root version ${root.version} written.`,
        ...describe("root", root),
        ...(flags.newOnlineKey.length > 0 ? ["Restart every `hub serve` so it signs with the new online keys."] : []),
      );
    });
  withDir(tuf.command("sign-targets"))
    .description("sign a new top-level targets version with the offline targets keys")
    .option("--new-releases-key", "create a new online releases key and delegate the hash bins to it")
    .action(async (flags: DirFlags & { newReleasesKey?: boolean }) => {
      const targets = await resignHubTargets({
        dir: flags.dir,
        postgres: flags.postgres,
        offlineDir: flags.offline,
        now: new Date(),
        newReleasesKey: flags.newReleasesKey,
      });
      if (flags.json === true) return printJson(targets);
      printLines(
        `Targets version ${targets.version} written; snapshot and timestamp re-signed.`,
        ...(flags.newReleasesKey === true ? ["Restart every `hub serve` so it signs with the new releases key."] : []),
      );
    });
  tuf
    .command("status")
    .description("versions, expiries, thresholds and keys of the top-level roles")
    .requiredOption("--dir <dir>", "the hub directory")
    .option("--postgres <url>", "the PostgreSQL database (overrides the one hub.json names)")
    .option("--offline <dir>", "a directory of offline keys: show which file holds which key")
    .option("--json", "print JSON")
    .action(async (flags: Omit<DirFlags, "offline"> & { offline?: string }) => {
      const status = await hubTufStatus({ dir: flags.dir, postgres: flags.postgres, offlineDir: flags.offline });
      if (flags.json === true) return printJson(status);
      printLines(
        ...(["root", "targets", "snapshot", "timestamp"] as const).flatMap((r) => describe(r, status[r])),
        `releases (hash bins) key: ${status.releasesKeyId}`,
      );
    });
}

function withDir(cmd: Command): Command {
  return cmd
    .requiredOption("--dir <dir>", "the hub directory")
    .requiredOption("--offline <dir>", "the directory holding the offline keys (root-N.pem, targets-N.pem)")
    .option("--postgres <url>", "the PostgreSQL database (overrides the one hub.json names)")
    .option("--json", "print JSON");
}

function describe(name: string, role: TufRoleStatus): string[] {
  return [
    `${name}: version ${role.version}, expires ${role.expires}, threshold ${role.threshold}`,
    ...role.keys.map((k) => `  key ${k.keyId}${k.file === undefined ? "" : ` (${k.file})`}`),
  ];
}
