// Promise 8 when the guard ships inside the release (docs/audit.md "The checks"): state.json's
// `guard: {source: "release", digest, releaseDigest, stages}`, cross-checked against the running target's
// custom.guard.configSha256 in the TUF metadata the agent cached. Each outcome on a fake state directory; the hash
// bin a target lands in is computed by tuf-js's own models (@tufjs/models), a second implementation as oracle.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Targets } from "@tufjs/models";
import { CHECKS, runAudit, type CheckResult } from "@edgeward/audit";
import { tempDir } from "@edgeward/testkit";

const GUARD = createHash("sha256").update("stages:\n  - name: energy\n").digest("hex");
const OTHER = createHash("sha256").update("stages: []\n").digest("hex");
const TARGET = "cam-detector/3";
const CHECK = CHECKS.find((c) => c.id === "promise-8-guard")!;

/** The top-level targets metadata with a TAP 15 succinct delegation to 2^3 hash bins, as the hub publishes it. */
const TOP = {
  _type: "targets",
  spec_version: "1.0.31",
  version: 1,
  expires: "2030-01-01T00:00:00Z",
  targets: {},
  delegations: {
    keys: {},
    succinct_roles: { keyids: ["k"], threshold: 1, bit_length: 3, name_prefix: "bins" },
  },
};
const BIN = Targets.fromJSON(TOP).delegations!.succinctRoles!.getRoleForTarget(TARGET);

interface Tree {
  readonly guard?: unknown;
  readonly update?: unknown;
  /** custom of the cached target; null writes no TUF metadata at all. */
  readonly custom?: Record<string, unknown> | null;
  /** Where the target is cached: its hash bin (default) or another role. */
  readonly role?: string;
  /** The top-level targets metadata (default: hash bins). */
  readonly top?: object;
}

const RELEASE_GUARD = { source: "release", digest: GUARD, releaseDigest: GUARD, stages: ["energy", "ood"] };
const UPDATE = { tufRoot: "tuf/root.json", target: TARGET, runningVersion: 3, floor: 3 };

/** Writes a state directory with `state.json` and the cached TUF metadata; runs promise 8 over it. */
async function guardCheck(tree: Tree): Promise<CheckResult> {
  using dir = tempDir("edgeward-guard-audit-");
  const state = join(dir.path, "state");
  mkdirSync(join(state, "tuf"), { recursive: true, mode: 0o700 });
  const s = { version: 1, guard: "guard" in tree ? tree.guard : RELEASE_GUARD, update: tree.update ?? UPDATE };
  writeFileSync(join(state, "state.json"), JSON.stringify(s));
  if (tree.custom !== null) {
    const signed = (body: object) => JSON.stringify({ signed: body, signatures: [{ keyid: "k", sig: "00" }] });
    writeFileSync(join(state, "tuf", "targets.json"), signed(tree.top ?? TOP));
    const custom = tree.custom ?? { releaseId: "r3", kind: "model", guard: { configSha256: GUARD, target: "x" } };
    const info = { length: 10, hashes: { sha256: "00".repeat(32) }, custom };
    const bin = { _type: "targets", version: 1, expires: "2030-01-01T00:00:00Z", targets: { [TARGET]: info } };
    writeFileSync(join(state, "tuf", `${tree.role ?? BIN}.json`), signed(bin));
  }
  const report = await runAudit({ root: dir.path, stateDir: state, checks: [CHECK] });
  return report.checks[0]!;
}

const text = (r: CheckResult): string => r.evidence.join("\n");

describe("promise 8 with the guard shipped inside the release", () => {
  it("passes when the loaded guard is the release's, it has stages, and the cached TUF target names it", async () => {
    const r = await guardCheck({});
    assert.equal(r.status, "pass", text(r));
    assert.match(text(r), new RegExp(`guard file loaded: sha256 ${GUARD}`));
    assert.match(text(r), /stages: energy, ood/);
    assert.match(text(r), new RegExp(`TUF target cam-detector/3 \\(role ${BIN}\\): custom.guard.configSha256 matches`));
    assert.equal(r.fix, "");
  });

  it("passes without a cross-check when state.json names no running target", async () => {
    const r = await guardCheck({ update: { runningVersion: 3 }, custom: null });
    assert.equal(r.status, "pass", text(r));
    assert.match(text(r), /TUF cross-check: state.json names no running target/);
  });

  const failing: [string, Tree, RegExp, RegExp][] = [
    [
      "state.json has no guard at all",
      { guard: undefined, update: UPDATE, custom: {} },
      /guard: none in state.json/,
      /model publish MODEL --guard/,
    ],
    [
      "the agent loaded no guard (no digest)",
      { guard: { source: "release", releaseDigest: GUARD, stages: ["energy"] } },
      /guard file loaded: sha256 missing\nthe release's guard digest: sha256 [0-9a-f]{64}/,
      /EW_ERR_GUARD_\* refusal/,
    ],
    [
      "the release names no guard digest",
      { guard: { source: "release", digest: GUARD, stages: ["energy"] } },
      /no release digest: the release does not name its guard/,
      /Republish the release/,
    ],
    [
      "the loaded guard differs from the release's",
      { guard: { ...RELEASE_GUARD, digest: OTHER } },
      /the loaded guard file differs from the one the release names/,
      /reinstall the release/,
    ],
    [
      "a digest is not SHA-256 hex",
      { guard: { ...RELEASE_GUARD, digest: "sha256:abc", releaseDigest: "sha256:abc" } },
      /no guard file digest/,
      /EW_ERR_GUARD_/,
    ],
    [
      "the guard has no enabled stage",
      { guard: { ...RELEASE_GUARD, stages: [] } },
      /stages: none\nthe guard has no enabled stage/,
      /Enable at least one stage/,
    ],
    [
      "the cached TUF target names another guard digest",
      { custom: { releaseId: "r3", guard: { configSha256: OTHER } } },
      new RegExp(`custom.guard.configSha256 ${OTHER} differs from the release digest`),
      /reinstall the release/,
    ],
    [
      "the cached TUF target names no guard",
      { custom: { releaseId: "r3", kind: "model" } },
      /names no guard \(custom.guard.configSha256\)/,
      /reinstall the release/,
    ],
  ];
  for (const [when, tree, evidence, fix] of failing)
    it(`fails when ${when}, with the evidence and a fix`, async () => {
      const r = await guardCheck(tree);
      assert.equal(r.status, "fail", text(r));
      assert.match(text(r), evidence);
      assert.match(r.fix, fix);
    });

  const warning: [string, Tree, RegExp][] = [
    ["no TUF metadata is cached", { custom: null }, /no cached TUF targets metadata in tuf\//],
    ["the target sits in another bin than its hash names", { role: "bins-x" }, /does not list cam-detector\/3/],
  ];
  for (const [when, tree, evidence] of warning)
    it(`warns when ${when}: the release digest cannot be cross-checked`, async () => {
      const r = await guardCheck(tree);
      assert.equal(r.status, "warn", text(r));
      assert.match(text(r), evidence);
      assert.match(r.fix, /refresh its TUF metadata/);
    });

  it("reads explicit delegations too: the target in a delegated role's file", async () => {
    // A repository without hash bins: targets.json delegates to roles by name (TUF 1.0 §4.5 "delegations").
    const role = { name: "releases", keyids: ["k"], threshold: 1, paths: ["*"], terminating: true };
    const top = { ...TOP, delegations: { keys: {}, roles: [role] } };
    const r = await guardCheck({ role: "releases", top });
    assert.equal(r.status, "pass", text(r));
    assert.match(text(r), /\(role releases\): custom.guard.configSha256 matches/);
  });

  it("finds a target listed in the top-level targets metadata itself", async () => {
    const top = { ...TOP, delegations: undefined };
    const r = await guardCheck({ role: "targets", top });
    assert.equal(r.status, "pass", text(r));
    assert.match(text(r), /\(role targets\)/);
  });

  it("on the metadata a real agent cached from a real hub, finds the running target in its hash bin", async () => {
    // fixtures/tuf-cache/SOURCE.md: a hub from before guards shipped in releases, so the target names none.
    using dir = tempDir("edgeward-guard-audit-");
    const state = join(dir.path, "state");
    cpSync(new URL("../fixtures/tuf-cache/", import.meta.url), join(state, "tuf"), { recursive: true });
    const update = { tufRoot: "tuf/root.json", target: "matmul/2", runningVersion: 2, floor: 2 };
    writeFileSync(join(state, "state.json"), JSON.stringify({ version: 1, guard: RELEASE_GUARD, update }));
    const [r] = (await runAudit({ root: dir.path, stateDir: state, checks: [CHECK] })).checks;
    assert.equal(r?.status, "fail", text(r!));
    assert.match(text(r), /TUF target matmul\/2 \(role releases-df\): names no guard/);
  });
});
