// Following releases (docs/agent.md "Following releases"): the `follow` configuration, and discovery's choice of
// this cycle's target from the hub's listing, the TPM floor, what serves, and TUF's word on the listed target.
// The hub and TUF here are in-memory stand-ins (named ForTest): packages/cli/test/agent-follow.test.ts runs the
// same path against a real hub process, swtpm and tuf-js.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { wire } from "@edgeward/core";
import { throwsWithCode } from "@edgeward/testkit";
import { discoverTargets, parseConfig, type DiscoverDeps, type ReleaseMeta } from "@edgeward/agent";

describe("the follow configuration", () => {
  it("takes release names, and refuses a name also in track, a repeat or a malformed name with EW_ERR_AGENT_CONFIG", () => {
    assert.deepEqual(parseConfig({ follow: ["matmul", "fw"], track: ["ocr/1"] }).follow, ["matmul", "fw"]);
    assert.deepEqual(parseConfig({}).follow, []);
    for (const bad of [
      { follow: ["matmul"], track: ["matmul/1"] },
      { follow: ["a", "a"] },
      { follow: ["a/1"] },
      { follow: [".hidden"] },
      { follow: "matmul" },
      { follow: [3] },
    ])
      throwsWithCode(() => parseConfig(bad), "EW_ERR_AGENT_CONFIG");
  });
});

const listed = (version: string, name = "matmul"): wire.DeviceRelease => ({
  name,
  version,
  kind: "model",
  target: `${name}/${version}`,
  floor: version,
});
const metaOf = (r: wire.DeviceRelease, over: Partial<ReleaseMeta> = {}): ReleaseMeta => ({
  ...{ releaseId: `rel-${r.name}-${r.version}`, name: r.name, version: r.version, floor: r.floor, kind: r.kind },
  ...{ targetName: r.target, length: 1, sha256: "a".repeat(64), ...over },
});

/** A hub listing and TUF repository in memory; TUF agrees with the listing unless `tuf` says otherwise. */
function hubForTest(
  listing: wire.DeviceRelease[],
  opts: { floor?: number; serving?: ReleaseMeta; tuf?: Record<string, ReleaseMeta | undefined> } = {},
) {
  const refused: Array<{ subject: string; code: unknown }> = [];
  const asked: string[] = [];
  const deps: DiscoverDeps = {
    list: (name) => Promise.resolve(listing.filter((r) => r.name === name)),
    tufTarget: (path) => {
      asked.push(path);
      if (opts.tuf !== undefined && path in opts.tuf) return Promise.resolve(opts.tuf[path]);
      const r = listing.find((l) => l.target === path);
      return Promise.resolve(r === undefined ? undefined : metaOf(r));
    },
    floor: () => Promise.resolve(opts.floor ?? 1),
    serving: () => Promise.resolve(opts.serving),
    log: {
      record: (e: { kind: string; subject: string; details: Record<string, unknown> }) => {
        refused.push({ subject: e.subject, code: e.details["code"] });
        return Promise.resolve();
      },
    } as unknown as NonNullable<DiscoverDeps["log"]>,
  };
  return { deps, refused, asked };
}

describe("discovering a followed release", () => {
  it("picks the newest version by sequence, whatever order the hub lists them in", async () => {
    const h = hubForTest([listed("2"), listed("10"), listed("3"), listed("11", "other")]);
    assert.deepEqual(await discoverTargets(h.deps, ["matmul"]), { targets: ["matmul/10"], refusals: [] });
    assert.deepEqual(h.asked, ["matmul/10"]);
  });

  it("installs nothing when the serving version is the newest, or nothing is listed", async () => {
    const serving = metaOf(listed("2"));
    const h = hubForTest([listed("1"), listed("2")], { serving, floor: 2 });
    assert.deepEqual(await discoverTargets(h.deps, ["matmul", "absent"]), { targets: [], refusals: [] });
    assert.deepEqual(h.asked, [], "TUF is not asked when nothing is new");
  });

  it("refuses a listing whose newest version is below the TPM floor with EW_ERR_AGENT_FLOOR, and logs it", async () => {
    const h = hubForTest([listed("1"), listed("2.5")], { serving: metaOf(listed("3")), floor: 3 });
    const found = await discoverTargets(h.deps, ["matmul"]);
    assert.deepEqual(found.targets, []);
    assert.deepEqual(
      found.refusals.map((e) => e.code),
      ["EW_ERR_AGENT_FLOOR"],
    );
    assert.deepEqual(h.refused, [{ subject: "follow:matmul", code: "EW_ERR_AGENT_FLOOR" }]);
  });

  it("skips versions below the floor for a newer one above it", async () => {
    const h = hubForTest([listed("1"), listed("4")], { floor: 3 });
    assert.deepEqual((await discoverTargets(h.deps, ["matmul"])).targets, ["matmul/4"]);
  });

  const lies: Array<[string, Record<string, ReleaseMeta | undefined>]> = [
    ["another version", { "matmul/5": metaOf(listed("4"), { targetName: "matmul/5" }) }],
    ["another name", { "matmul/5": metaOf(listed("5", "other"), { targetName: "matmul/5" }) }],
    ["another kind", { "matmul/5": metaOf(listed("5"), { kind: "package" }) }],
    ["no such target", { "matmul/5": undefined }],
  ];
  for (const [what, tuf] of lies)
    it(`refuses a listed target whose TUF custom names ${what} with EW_ERR_AGENT_FOLLOW_MISMATCH`, async () => {
      const h = hubForTest([listed("5")], { tuf });
      const found = await discoverTargets(h.deps, ["matmul"]);
      assert.deepEqual(found.targets, []);
      assert.deepEqual(
        found.refusals.map((e) => e.code),
        ["EW_ERR_AGENT_FOLLOW_MISMATCH"],
      );
      assert.deepEqual(h.refused, [{ subject: "follow:matmul", code: "EW_ERR_AGENT_FOLLOW_MISMATCH" }]);
    });

  it("one name's refusal does not keep another name from its target", async () => {
    const h = hubForTest([listed("5"), listed("2", "fw")], { tuf: { "matmul/5": undefined } });
    const found = await discoverTargets(h.deps, ["matmul", "fw"]);
    assert.deepEqual(found.targets, ["fw/2"]);
    assert.equal(found.refusals.length, 1);
  });
});
