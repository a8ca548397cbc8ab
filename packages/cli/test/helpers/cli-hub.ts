// A real hub process for CLI tests: `edgeward hub init`, `edgeward hub serve` on a loopback port, and one device
// group whose policy approves devices on their first passing attestation (docs/hub.md "Groups and policy").
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServe, type ServeProcess } from "@edgeward/testkit";
import { runCli } from "./cli.ts";

/** Runs the CLI, asserts it exited 0 and parses what it printed as JSON. */
export async function cliJson(args: string[]): Promise<Record<string, unknown>> {
  const r = await runCli(args);
  assert.equal(r.status, 0, `edgeward ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout.toString("utf8")) as Record<string, unknown>;
}

/** A running hub and what an operator needs to reach it. */
export interface CliHub {
  readonly dir: string;
  readonly serve: ServeProcess;
  readonly init: { adminToken: string; caCertificate: string };
  /** `--hub URL --token ADMIN --ca CA --json` for operator commands. */
  readonly admin: () => string[];
}

/** Initialises a hub in `dir`, serves it, and creates `group` with an auto-approving, learning policy. */
export async function startCliHub(dir: string, group: string): Promise<CliHub> {
  const init = (await cliJson(["hub", "init", "--dir", dir, "--json"])) as CliHub["init"];
  const serve = await startServe(["--dir", dir, "--listen", "127.0.0.1:0"]);
  const admin = () => ["--hub", serve.url, "--token", init.adminToken, "--ca", init.caCertificate, "--json"];
  const policy = join(dir, "..", `${group}-policy.json`);
  writeFileSync(
    policy,
    JSON.stringify({
      autoApprove: true,
      learn: true,
      attestPcrs: "sha256:0,7,14",
      unwrapPolicy: { pcrs: "sha256:7,14", digests: [] },
    }),
  );
  await cliJson(["hub", "groups", "create", group, "--policy", policy, ...admin()]);
  return { dir, serve, init, admin };
}
