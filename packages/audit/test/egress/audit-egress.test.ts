// Where promise 3 reads the loaded ruleset (docs/audit.md "The checks"): on the real machine (`--root /`) the
// kernel's own rules through `nft -j list ruleset`; under another root only the captured file
// ROOT/run/edgeward/nft-ruleset.json. Each in a network namespace the test creates (`unshare -rn`), so the
// rules loaded there are the "real machine" the audit sees, and nothing changes on this host.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FAKE_NFT_RULESET, nftablesRuleset, parseHubUrl, resolveEndpoints, type CheckResult } from "@edgeward/audit";
import { loadedRulesetJson, putFile, tempDir } from "@edgeward/testkit";

const AUDIT = new URL("./audit-egress.ts", import.meta.url).pathname;
const HUB = "https://127.0.0.1:18443";

/** A state directory whose state.json names the hub. */
function stateDir(dir: string): string {
  const state = join(dir, "state");
  mkdirSync(state, { recursive: true, mode: 0o700 });
  writeFileSync(join(state, "state.json"), JSON.stringify({ version: 1, hub: { url: HUB } }));
  return state;
}

/** The generated rules for the hub, as an nft file in `dir`. */
async function rulesFile(dir: string): Promise<string> {
  const [hub] = await resolveEndpoints([parseHubUrl(HUB)]);
  const file = join(dir, "egress.nft");
  writeFileSync(file, nftablesRuleset({ hub: hub! }));
  return file;
}

/** Runs the egress check with `root` in a fresh network namespace, after `setup` (shell) ran there. */
function auditInNamespace(setup: string, root: string, state: string): CheckResult {
  const script = `${setup} exec ${process.execPath} ${AUDIT} ${root} ${state}`;
  const r = spawnSync("unshare", ["-rn", "sh", "-c", script], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, `exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as CheckResult;
}

describe("promise 3 reads the loaded ruleset on the real machine, a captured file under --root", () => {
  it("on /: passes with the generated rules loaded in the kernel, read by nft -j list ruleset", async () => {
    using dir = tempDir("edgeward-egress-audit-");
    const r = auditInNamespace(`nft -f ${await rulesFile(dir.path)} &&`, "/", stateDir(dir.path));
    assert.equal(r.status, "pass", r.evidence.join("\n"));
    assert.match(r.evidence.join("\n"), /^nftables ruleset \(nft -j list ruleset\): 1 output-hook chain/);
    assert.match(r.evidence.join("\n"), /chain inet edgeward_egress output: hook output, policy drop/);
    assert.match(r.evidence.join("\n"), /accepts 127\.0\.0\.1 port 18443/);
  });

  it("on /: fails when the kernel holds no rules", () => {
    using dir = tempDir("edgeward-egress-audit-");
    const r = auditInNamespace("", "/", stateDir(dir.path));
    assert.equal(r.status, "fail");
    assert.match(r.evidence.join("\n"), /nft -j list ruleset\): 0 output-hook chain/);
    assert.match(r.evidence.join("\n"), /no output chain drops by default/);
    assert.match(r.fix, /nft -f/);
  });

  it("under --root: reads the captured file, and never the kernel's rules", async () => {
    using dir = tempDir("edgeward-egress-audit-");
    const root = join(dir.path, "root");
    mkdirSync(root);
    const state = stateDir(dir.path);
    const rules = await rulesFile(dir.path);
    // The kernel holds the passing rules, but the root has no captured file: the check must not fall back.
    const missing = auditInNamespace(`nft -f ${rules} &&`, root, state);
    assert.equal(missing.status, "fail");
    assert.match(missing.evidence.join("\n"), new RegExp(`\\(${root}${FAKE_NFT_RULESET}\\): cannot be read`));
    // With the captured file (`nft -j list ruleset` taken where the rules were loaded), it passes with no rules
    // in the kernel at all.
    putFile(root, FAKE_NFT_RULESET, loadedRulesetJson(readFileSync(rules, "utf8"), dir.path));
    const captured = auditInNamespace("", root, state);
    assert.equal(captured.status, "pass", captured.evidence.join("\n"));
    assert.match(captured.evidence.join("\n"), /nft-ruleset\.json\): 1 output-hook chain/);
  });
});
