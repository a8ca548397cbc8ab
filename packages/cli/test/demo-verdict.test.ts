import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { seededRandom, tempDir } from "@edgeward/testkit";
import { scanForFragments } from "../src/fleet/scan.ts";
import type { Outcome } from "../src/fleet/scenarios.ts";
import { demoIncomplete, notShown } from "../src/fleet/verdict.ts";

// The fleet demo's verdict: it exits with EW_ERR_DEMO_INCOMPLETE when an attack scenario was not shown or the scan
// found plaintext. A full failing fleet run (hub, three agents, swtpm) is the only other way to reach the code, so
// the decision is tested here with the demo's own scan and its own handling of a scenario that throws.
describe("the fleet demo's verdict", () => {
  const next = seededRandom(11);
  const model = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(next() * 256)));
  const shown: Outcome[] = [
    { scenario: "clone A's state dir onto B", device: "B", code: "EW_ERR_TPM_FOREIGN_KEY", hub: "A trusted" },
    { scenario: "rollback to cls 1 on B", device: "B", code: "EW_ERR_AGENT_FLOOR", hub: "still serving" },
  ];

  it("every scenario shown and no plaintext on disk: complete", () => {
    using dir = tempDir("edgeward-verdict-");
    writeFileSync(join(dir.path, "payload.age"), Buffer.from(model).reverse());
    assert.deepEqual(scanForFragments([dir.path], model).hits, []);
    assert.equal(demoIncomplete(shown, scanForFragments([dir.path], model).hits), undefined);
  });

  it("when a scenario threw instead of showing its refusal, the verdict is EW_ERR_DEMO_INCOMPLETE naming it", async () => {
    const label = "boot change on C (PCR 7 extended)";
    const outcome = await Promise.reject(new Error("agent C did not stop")).catch((err: unknown) =>
      notShown(label, err),
    );
    const err = demoIncomplete([...shown, outcome], []);
    assert.equal(err?.code, "EW_ERR_DEMO_INCOMPLETE");
    assert.match(err?.detail ?? "", /^not shown: boot change on C \(PCR 7 extended\); plaintext in: none$/);
  });

  it("when the scan finds a fragment of the model on disk, the verdict is EW_ERR_DEMO_INCOMPLETE naming the file", () => {
    using dir = tempDir("edgeward-verdict-");
    const leaked = join(dir.path, "model-cache.bin");
    writeFileSync(leaked, Buffer.concat([Buffer.alloc(100), model.subarray(1000, 1200)]));
    const { hits } = scanForFragments([dir.path], model);
    assert.deepEqual(hits, [leaked]);
    const err = demoIncomplete(shown, hits);
    assert.equal(err?.code, "EW_ERR_DEMO_INCOMPLETE");
    assert.equal(err?.detail, `not shown: none; plaintext in: ${leaked}`);
  });
});
