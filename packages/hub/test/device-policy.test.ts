// The group policy on verified quotes (attest-policy.ts), without a TPM: every reason is collected, PCRs the group
// needs but the quote lacks, values outside the allowed set, a TPM clock going back, firmware below the minimum;
// and the version order key release uses for floors.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { VerifiedQuote } from "@edgeward/core";
import { compareVersions, evaluateQuote, type GroupPolicy } from "../src/device/index.ts";

const hex32 = (b: number) => Buffer.alloc(32, b).toString("hex");

function quote(
  values: Record<number, number>,
  clock = { clock: 5000n, resetCount: 2, restartCount: 0, safe: true },
  fw = 10n,
) {
  const pcrs = Object.fromEntries(Object.entries(values).map(([i, b]) => [Number(i), Buffer.alloc(32, b)]));
  return { pcrValues: { sha256: pcrs }, clockInfo: clock, firmwareVersion: fw } as unknown as VerifiedQuote;
}

const group: GroupPolicy = {
  name: "g",
  autoApprove: true,
  attestPcrs: "sha256:0,7,14",
  reference: { sha256: { "0": [hex32(0)], "7": [hex32(7), hex32(8)], "14": [hex32(0)] } },
  learn: false,
  quarantineOnFail: true,
  unwrapPolicy: { pcrs: "sha256:7,14", digests: [] },
  minFirmware: "10",
  freshnessMs: 600_000,
  attestIntervalMs: 60_000,
};

test("a quote within the reference values passes; each allowed value of a PCR is accepted", () => {
  assert.deepEqual(evaluateQuote(group, quote({ 0: 0, 7: 7, 14: 0 }), undefined).reasons, []);
  assert.deepEqual(evaluateQuote(group, quote({ 0: 0, 7: 8, 14: 0 }), undefined).reasons, []);
});

test("every reason is collected: a missing PCR, a value outside the set, the clock going back, old firmware", () => {
  const previous = { clock: "9000", resetCount: 3, restartCount: 0, safe: true };
  const { reasons } = evaluateQuote(group, quote({ 0: 0, 7: 9 }, undefined, 9n), previous);
  assert.deepEqual(
    reasons.map((r) => r.code),
    ["EW_ERR_ATTEST_PCR_VALUE", "EW_ERR_ATTEST_PCR_MISSING", "EW_ERR_QUOTE_CLOCK", "EW_ERR_ATTEST_FIRMWARE"],
  );
  assert.ok(reasons.every((r) => r.message.length > 0));
});

test("the clock may go back only after a reset the TPM marks unorderly; learn mode records new PCRs", () => {
  // TPM 2.0 Part 1 §36.3: Clock is saved to NV, so even a reboot does not take it back unless the shutdown was
  // unorderly (safe = NO) and the reset counter moved on.
  const previous = { clock: "9000", resetCount: 2, restartCount: 0, safe: true };
  const unorderly = { clock: 100n, resetCount: 3, restartCount: 0, safe: false };
  assert.deepEqual(evaluateQuote(group, quote({ 0: 0, 7: 7, 14: 0 }, unorderly), previous).reasons, []);
  const claimedSafe = { ...unorderly, safe: true };
  assert.deepEqual(
    evaluateQuote(group, quote({ 0: 0, 7: 7, 14: 0 }, claimedSafe), previous).reasons.map((r) => r.code),
    ["EW_ERR_QUOTE_CLOCK"],
  );
  const learning = { ...group, learn: true, reference: {} };
  const out = evaluateQuote(learning, quote({ 0: 1, 7: 2, 14: 3 }), undefined);
  assert.deepEqual(out.reasons, []);
  assert.deepEqual(out.learned, { sha256: { "0": hex32(1), "7": hex32(2), "14": hex32(3) } });
});

test("versions compare part by part, numerically, with pre-releases before their release", () => {
  assert.ok(compareVersions("1.10.0", "1.9.0") > 0);
  assert.ok(compareVersions("1.0.0", "1.0.0") === 0);
  assert.ok(compareVersions("1.0", "1.0.0") === 0);
  assert.ok(compareVersions("2.0.0-rc1", "2.0.0") < 0);
  assert.ok(compareVersions("0.9.9", "1.0.0") < 0);
});
