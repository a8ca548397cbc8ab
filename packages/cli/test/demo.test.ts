import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "./helpers/cli.ts";

// The README's main job: the guided demo on the real PP-OCR detector must keep working end to end.
describe("edgeward demo --local", () => {
  it("seals, opens into memory, runs the PP-OCR detector with outputs equal to the plaintext model's, refuses every attack with its code, and binds a model to a TPM", async () => {
    const res = await runCli(["demo", "--local", "--json"]);
    assert.equal(res.status, 0, res.stderr);
    const report = JSON.parse(res.stdout.toString()) as {
      identicalOutputs: boolean;
      attacks: { attack: string; code: string }[];
      outputs: Record<string, { dims: number[] }>;
      tpm: { step: string; outcome: string }[];
    };
    assert.equal(report.identicalOutputs, true);
    assert.deepEqual(report.outputs["sigmoid_0.tmp_0"]?.dims, [1, 1, 320, 320]);
    assert.deepEqual(
      report.attacks.map((a) => a.code),
      ["EW_ERR_AGE_NO_IDENTITY", "EW_ERR_AGE_PAYLOAD_AUTH", "EW_ERR_AGE_PAYLOAD_TRUNCATED", "EW_ERR_SIG_KEY_MISMATCH"],
    );
    // The TPM section: opens on A; the cloned key fails on B; a tamper extend locks it; a reboot unlocks it.
    const tpm = report.tpm.map((t) => t.outcome.split(" ")[0]);
    assert.deepEqual(tpm, ["opens", "EW_ERR_TPM_FOREIGN_KEY", "EW_ERR_TPM_POLICY", "opens"]);
  });
});
