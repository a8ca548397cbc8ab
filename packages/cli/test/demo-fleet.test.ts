import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { runCli } from "./helpers/cli.ts";

// The README's main job: the fleet in one command — a real hub process, three agents on swtpm devices, the
// PP-OCR classifier served, each attack refused with its code and the hub's view, and no plaintext on disk.
describe("edgeward demo (the fleet)", { timeout: 240_000 }, () => {
  it("serves the model on three devices, refuses clone, boot change, rollback, tamper and log rewrite, and leaves no plaintext", async () => {
    const res = await runCli(["demo", "--json"]);
    assert.equal(res.status, 0, `${res.stdout.toString().slice(-3000)}\n${res.stderr}`);
    const report = JSON.parse(res.stdout.toString()) as {
      inferences: { device: string; model: { name: string; version: string }; outputs: Record<string, unknown> }[];
      outcomes: { scenario: string; code: string; hub: string }[];
      checkpoint: string;
      scan: { model: { files: number; hits: string[] }; input: { hits: string[] } };
      steps: { step: string; ms: number }[];
      dir: string;
      tpmDirs: string[];
    };
    assert.deepEqual(
      report.inferences.map((i) => [i.device, i.model.version]),
      [
        ["A", "2"],
        ["B", "2"],
        ["C", "2"],
      ],
    );
    // The classifier's softmax: two probabilities summing to one.
    const out = Object.values(report.inferences[0]!.outputs)[0] as { dims: number[] };
    assert.deepEqual(out.dims, [1, 2]);
    assert.deepEqual(
      report.outcomes.map((o) => o.code),
      [
        "EW_ERR_TPM_FOREIGN_KEY",
        "EW_ERR_ATTEST_PCR_VALUE",
        "EW_ERR_AGENT_FLOOR",
        "EW_ERR_AGENT_TAMPERED",
        "EW_ERR_DEVICE_LOG_REWRITTEN",
      ],
    );
    assert.match(report.outcomes[0]!.hub, /^A trusted/, "the clone never reached the hub");
    for (const i of [1, 3, 4]) assert.match(report.outcomes[i]!.hub, /quarantined \(hub log #\d+ device\.quarantine\)/);
    assert.match(report.outcomes[2]!.hub, /still serving \{"name":"cls","version":"2"\}/);
    assert.match(report.checkpoint, /^edgeward\.hub\/[0-9a-f]+\n\d+\n/);
    assert.ok(report.scan.model.files > 10, "the scan read the hub's, agents' and TPMs' files");
    assert.deepEqual(report.scan.model.hits, []);
    assert.deepEqual(report.scan.input.hits, []);
    assert.ok(report.steps.every((s) => s.ms > 0));
    // Every process stopped and every directory removed: the working directory and the three swtpm states.
    for (const d of [report.dir, ...report.tpmDirs]) assert.equal(existsSync(d), false, d);
    assert.equal(report.tpmDirs.length, 3);
  });
});
