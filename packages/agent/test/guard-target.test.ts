import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generateIdentity, generateSigningKey } from "@edgeward/core";
import { packGuardBundle } from "@edgeward/guard";
import { rejectsWithCode, seededRandom, tempDir } from "@edgeward/testkit";
import { guardOfTarget, type TargetFacts } from "@edgeward/agent";
import { makeGuardedRelease, shippedGuardFile } from "./guard-releases.ts";

const digest = "a".repeat(64);
const payloadSha = "b".repeat(64);
const model = { releaseId: "rel-1", kind: "model", guard: { configSha256: digest, target: "fashion/1.guard" } };
const guardTarget: TargetFacts = {
  length: 1234,
  hashes: { sha256: payloadSha },
  custom: { releaseId: "rel-1", kind: "guard" },
};
const lookupOf =
  (targets: Record<string, TargetFacts>) =>
  (path: string): Promise<TargetFacts | undefined> =>
    Promise.resolve(targets[path]);

describe("the guard a TUF model target names", () => {
  it("is the guard target's TUF length and hash with the guard file digest from the model target", async () => {
    const guard = await guardOfTarget(model, "fashion/1", "rel-1", lookupOf({ "fashion/1.guard": guardTarget }));
    assert.deepEqual(guard, { configSha256: digest, targetName: "fashion/1.guard", length: 1234, sha256: payloadSha });
  });

  it("is none for a target without a guard", async () => {
    const { guard: _g, ...bare } = model;
    assert.equal(await guardOfTarget(bare, "fashion/1", "rel-1", lookupOf({})), undefined);
  });

  const hostile: Array<[string, Record<string, unknown>, Record<string, TargetFacts>]> = [
    ["a malformed guard field", { ...model, guard: "yes" }, { "fashion/1.guard": guardTarget }],
    ["a digest that is not SHA-256 hex", { ...model, guard: { ...model.guard, configSha256: "A".repeat(64) } }, {}],
    ["a guard target elsewhere", { ...model, guard: { ...model.guard, target: "other/1.guard" } }, {}],
    ["a guard on a package", { ...model, kind: "package" }, { "fashion/1.guard": guardTarget }],
    ["a guard target TUF does not list", model, {}],
    [
      "a guard target of another release",
      model,
      { "fashion/1.guard": { ...guardTarget, custom: { releaseId: "rel-0", kind: "guard" } } },
    ],
    [
      "a guard target that is not a guard",
      model,
      { "fashion/1.guard": { ...guardTarget, custom: { releaseId: "rel-1" } } },
    ],
    ["a guard target without sha256", model, { "fashion/1.guard": { ...guardTarget, hashes: { sha512: "c" } } }],
  ];
  it("for 2,000 seeded random guard fields and guard targets, answers a well-formed guard or EW_ERR_AGENT_HUB_RESPONSE", async () => {
    const random = seededRandom(8);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const values = [undefined, null, 7, "", "x", digest, [], {}, "fashion/1.guard", "rel-1", "guard", "model", true];
    const field = (): unknown => (random() < 0.5 ? pick(values) : { [pick(["configSha256", "target"])]: pick(values) });
    let accepted = 0;
    for (let i = 0; i < 2000; i++) {
      const custom = {
        kind: pick(["model", "model", "package", undefined]),
        guard: random() < 0.3 ? model.guard : field(),
      };
      const facts = {
        ...guardTarget,
        custom: { releaseId: pick(["rel-1", "rel-2", 3]), kind: pick(["guard", "model"]) },
      };
      const lookup = lookupOf(random() < 0.8 ? { [pick(["x", "fashion/1.guard"])]: facts } : {});
      try {
        const guard = await guardOfTarget(custom, "fashion/1", "rel-1", lookup);
        if (guard === undefined) continue;
        // Accepted only from a model target, and a guard target of this release that says it is a guard.
        assert.deepEqual([custom.kind, facts.custom.releaseId, facts.custom.kind], ["model", "rel-1", "guard"]);
        assert.deepEqual(guard, {
          configSha256: digest,
          targetName: "fashion/1.guard",
          length: 1234,
          sha256: payloadSha,
        });
        accepted++;
      } catch (err) {
        assert.equal((err as { code?: string }).code, "EW_ERR_AGENT_HUB_RESPONSE", String(err));
      }
    }
    assert.ok(accepted > 0, "some well-formed ones pass");
  });

  for (const [what, custom, targets] of hostile)
    it(`refuses ${what} with EW_ERR_AGENT_HUB_RESPONSE`, async () => {
      await rejectsWithCode(
        guardOfTarget(custom, "fashion/1", "rel-1", lookupOf(targets)),
        "EW_ERR_AGENT_HUB_RESPONSE",
      );
    });
});

describe("a release's two payloads under one header", () => {
  it("header + model payload and header + guard payload are each an age file the age CLI opens", async () => {
    using dir = tempDir("edgeward-guard-age-");
    const id = generateIdentity("x25519");
    const files = new Map([
      ["guard.yaml", shippedGuardFile("guard.yaml")],
      ["mlp.onnx", shippedGuardFile("mlp.onnx")],
    ]);
    const model = shippedGuardFile("cnn.onnx");
    const r = await makeGuardedRelease(model, files, [id.recipient], generateSigningKey(), { id: "r", version: "1" });
    writeFileSync(join(dir.path, "key.txt"), id.identityText);
    const open = (payload: Uint8Array) =>
      execFileSync("age", ["-d", "-i", join(dir.path, "key.txt")], {
        input: Buffer.concat([r.header, payload]),
        maxBuffer: 8 << 20,
      });
    assert.ok(open(r.payload).equals(model));
    assert.ok(open(r.guardPayload).equals(packGuardBundle(files)));
  });
});
