/**
 * A hub and its devices driven through the `edgeward` command only, as an operator and a device would (docs/hub.md,
 * docs/agent.md "Enrolment and the hub"): `hub init` (optionally trusting TPM manufacturer CAs), one device group
 * whose policy approves a device on its first passing attestation, enrolment by token or EK certificate, and
 * `model publish`. The hub may run as `edgeward hub serve` or be any listening hub the caller started.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { printedCode, type CliResult } from "./process.ts";

/** A hub directory made by `hub init`, and its group. */
export interface FleetHub {
  readonly dir: string;
  readonly group: string;
  readonly adminToken: string;
  /** The hub's CA (PEM file): what `--ca` takes. */
  readonly caCertificate: string;
  /** A publisher token made with `hub token create`. */
  readonly publisherToken: string;
}

/** Runs `edgeward ARGS --json` and returns its JSON; throws with the printed code and stderr when it fails. */
export async function edgewardJson(args: readonly string[]): Promise<Record<string, unknown>> {
  const r = await runCli([...args, "--json"]);
  if (r.status !== 0) throw new Error(`edgeward ${args.join(" ")}: ${printedCode(r) ?? r.status}\n${r.stderr}`);
  return JSON.parse(r.stdout.toString("utf8")) as Record<string, unknown>;
}

/** `hub init --dir DIR [--ek-ca FILE…]` and a publisher token; the hub is not served yet. */
export async function initFleetHub(dir: string, group: string, ekCa: readonly string[] = []): Promise<FleetHub> {
  const init = await edgewardJson(["hub", "init", "--dir", dir, ...ekCa.flatMap((f) => ["--ek-ca", f])]);
  const publisher = await edgewardJson(["hub", "token", "create", "--dir", dir, "--role", "publisher"]);
  return {
    dir,
    group,
    adminToken: String(init["adminToken"]),
    caCertificate: String(init["caCertificate"]),
    publisherToken: String(publisher["token"]),
  };
}

/** `--hub URL --ca CA --token ADMIN` for operator commands against the hub at `url`. */
export function adminArgs(hub: FleetHub, url: string): string[] {
  return ["--hub", url, "--ca", hub.caCertificate, "--token", hub.adminToken];
}

/**
 * The group policy of a fleet: devices approved on their first passing attestation, the unwrap-key policy learnt
 * from the first device, and the PCRs the agent binds its keys to (docs/hub.md "Groups and policy").
 */
export const FLEET_POLICY = {
  unwrapPolicy: { pcrs: "sha256:7,14", digests: [] },
  attestPcrs: "sha256:0,7,14",
  autoApprove: true,
  learn: true,
} as const;

/** Creates the hub's group with {@link FLEET_POLICY}, or sets that policy on a group `init` made (`default`). */
export async function createFleetGroup(hub: FleetHub, url: string): Promise<void> {
  const file = join(hub.dir, "..", `${hub.group}-policy.json`);
  writeFileSync(file, JSON.stringify(FLEET_POLICY));
  const args = [hub.group, "--policy", file, ...adminArgs(hub, url), "--json"];
  const made = await runCli(["hub", "groups", "create", ...args]);
  if (made.status === 0) return;
  if (printedCode(made) !== "EW_ERR_HUB_GROUP_EXISTS") throw new Error(`hub groups create: ${made.stderr}`);
  await edgewardJson(["hub", "groups", "set-policy", ...args.slice(0, -1)]);
}

/** How a device enrols: a one-time token the operator makes, or its EK certificate (`--ek-cert`). */
export type EnrolBy = "token" | "ek-cert";

/** `edgeward agent enrol` of the TPM at `tcti` into `state`; the raw result (a refusal is not thrown). */
export async function enrolDevice(
  hub: FleetHub,
  url: string,
  tcti: string,
  state: string,
  by: EnrolBy = "token",
): Promise<CliResult> {
  const proof =
    by === "token"
      ? [
          "--token",
          String(
            (await edgewardJson(["hub", "enrol-token", "--group", hub.group, ...adminArgs(hub, url)]))["enrolToken"],
          ),
        ]
      : ["--ek-cert"];
  return runCli(
    ["agent", "--tcti", tcti, "enrol", "--hub", url, "--ca", hub.caCertificate, ...proof].concat([
      "--state",
      state,
      "--json",
    ]),
  );
}

/**
 * A publisher's signing key pair made with `sign-keygen` under `dir` (`publisher.key`, `publisher.pub`), its public
 * key trusted by `hub` (`hub publishers add`: a hub refuses releases no trusted publisher signed).
 */
export async function publisherKeys(dir: string, hub: FleetHub): Promise<{ key: string; pub: string }> {
  mkdirSync(dir, { recursive: true });
  await edgewardJson(["sign-keygen", "-o", join(dir, "publisher")]);
  await edgewardJson(["hub", "publishers", "add", join(dir, "publisher.pub"), "--dir", hub.dir, "--json"]);
  return { key: join(dir, "publisher.key"), pub: join(dir, "publisher.pub") };
}

/** `edgeward model publish FILE --name N --version V --group G --sign KEY`; returns the release JSON. */
export function publishModel(
  hub: FleetHub,
  url: string,
  file: string,
  name: string,
  version: string,
  signKey: string,
): Promise<Record<string, unknown>> {
  return edgewardJson([
    ...["model", "publish", file, "--hub", url, "--ca", hub.caCertificate, "--token", hub.publisherToken],
    ...["--name", name, "--version", version, "--group", hub.group, "--sign", signKey],
  ]);
}
