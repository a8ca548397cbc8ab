import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rejectsWithCode, startSwtpm, type Swtpm } from "@edgeward/testkit";
import { DEFAULT_COUNTER_INDEX, type Tpm2ToolsDevice } from "@edgeward/tpm";
import { deviceFor, SLOW } from "./helpers.ts";

describe("the NV version-floor counter (swtpm)", SLOW, () => {
  let tpm: Swtpm;
  let dev: Tpm2ToolsDevice;
  before(async () => {
    tpm = await startSwtpm();
    dev = deviceFor(tpm);
  });
  after(async () => {
    await tpm?.stop();
  });

  it("reading a counter that was never defined rejects with EW_ERR_TPM_NV_UNDEFINED", async () => {
    await rejectsWithCode(dev.counterRead(DEFAULT_COUNTER_INDEX + 1), "EW_ERR_TPM_NV_UNDEFINED");
    await rejectsWithCode(dev.counterIncrement(DEFAULT_COUNTER_INDEX + 1), "EW_ERR_TPM_NV_UNDEFINED");
  });

  it("only goes up, defining it again keeps its value, and it survives a reboot", async () => {
    const start = await dev.counterDefine(DEFAULT_COUNTER_INDEX);
    const one = await dev.counterIncrement(DEFAULT_COUNTER_INDEX);
    const two = await dev.counterIncrement(DEFAULT_COUNTER_INDEX);
    assert.equal(one, start + 1n);
    assert.equal(two, start + 2n);
    assert.equal(await dev.counterDefine(DEFAULT_COUNTER_INDEX), two);
    await tpm.reboot();
    assert.equal(await dev.counterRead(DEFAULT_COUNTER_INDEX), two);
    assert.equal(await dev.counterIncrement(DEFAULT_COUNTER_INDEX), two + 1n);
  });
});
