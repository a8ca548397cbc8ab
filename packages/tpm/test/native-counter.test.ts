import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { rejectsWithCode, startSwtpm, type Swtpm } from "@edgeward/testkit";
import { DEFAULT_COUNTER_INDEX, Tpm2ToolsDevice } from "@edgeward/tpm";
import { SLOW } from "./helpers.ts";

const run = promisify(execFile);

describe("the version-floor counter over the direct transport matches tpm2-tools (swtpm)", SLOW, () => {
  let tpm: Swtpm;
  let native: Tpm2ToolsDevice;
  let tools: Tpm2ToolsDevice;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, TPM2TOOLS_TCTI: tpm.tcti });
  before(async () => {
    tpm = await startSwtpm();
    native = new Tpm2ToolsDevice({ tcti: tpm.tcti });
    tools = new Tpm2ToolsDevice({ tcti: tpm.tcti, native: false });
  });
  after(async () => {
    await tpm?.stop();
  });

  it("an undefined index is EW_ERR_TPM_NV_UNDEFINED and a non-owner index EW_ERR_USAGE on both paths", async () => {
    for (const dev of [native, tools]) {
      await rejectsWithCode(dev.counterRead(DEFAULT_COUNTER_INDEX + 7), "EW_ERR_TPM_NV_UNDEFINED");
      await rejectsWithCode(dev.counterIncrement(DEFAULT_COUNTER_INDEX + 7), "EW_ERR_TPM_NV_UNDEFINED");
      await rejectsWithCode(dev.counterDefine(0x81000001), "EW_ERR_USAGE");
    }
  });

  it("values written by one path are read by the other; define is idempotent on both; it survives a reboot", async () => {
    const i = DEFAULT_COUNTER_INDEX;
    const start = await native.counterDefine(i);
    assert.equal(await tools.counterRead(i), start);
    assert.equal(await native.counterIncrement(i), start + 1n);
    assert.equal(await tools.counterRead(i), start + 1n);
    assert.equal(await tools.counterIncrement(i), start + 2n);
    assert.equal(await native.counterRead(i), start + 2n);
    assert.equal(await native.counterDefine(i), start + 2n);
    assert.equal(await tools.counterDefine(i), start + 2n);
    await tpm.reboot();
    assert.equal(await native.counterRead(i), start + 2n);
    assert.equal(await native.counterIncrement(i), start + 3n);
  });

  it("defines the index with the attributes, name algorithm, size and policy tpm2_nvdefine gives it", async () => {
    const [a, b] = [DEFAULT_COUNTER_INDEX + 1, DEFAULT_COUNTER_INDEX + 2];
    await native.counterDefine(a);
    await tools.counterDefine(b);
    const pub = async (index: number): Promise<string> => {
      const { stdout } = await run("tpm2_nvreadpublic", [`0x${index.toString(16)}`], { env: env() });
      // Everything but the index line and the name (which hashes the index) must be equal.
      return stdout
        .split("\n")
        .filter((l) => !/^0x|name:/.test(l))
        .join("\n");
    };
    const [na, tb] = [await pub(a), await pub(b)];
    // ownerwrite|nt=counter|ownerread|no_da, and written (the define initialised it).
    assert.match(tb, /value: 0x22020012\n/);
    assert.equal(na, tb);
  });

  it("a counter defined but never incremented reads as undefined on both, and define initialises it on both", async () => {
    const [a, b] = [DEFAULT_COUNTER_INDEX + 3, DEFAULT_COUNTER_INDEX + 4];
    for (const index of [a, b])
      await run(
        "tpm2_nvdefine",
        [`0x${index.toString(16)}`, "-C", "o", "-s", "8", "-a", "nt=counter|ownerwrite|ownerread|no_da"],
        { env: env() },
      );
    for (const dev of [native, tools]) {
      await rejectsWithCode(dev.counterRead(a), "EW_ERR_TPM_NV_UNDEFINED");
      await rejectsWithCode(dev.counterRead(b), "EW_ERR_TPM_NV_UNDEFINED");
    }
    // Part 1 §37.2.4: the TPM picks a new counter's first value (from the highest it has recorded), the same for
    // both first writes here.
    const fromNative = await native.counterDefine(a);
    const fromTools = await tools.counterDefine(b);
    assert.ok(fromNative > 0n);
    assert.equal(fromNative, fromTools);
    assert.equal(await tools.counterRead(a), fromNative);
    assert.equal(await native.counterRead(b), fromTools);
  });

  it("a counter defined after one was deleted starts above the deleted one's value on both paths", async () => {
    const [gone, a, b] = [DEFAULT_COUNTER_INDEX + 5, DEFAULT_COUNTER_INDEX + 6, DEFAULT_COUNTER_INDEX + 8];
    let last = await native.counterDefine(gone);
    for (let k = 0; k < 3; k++) last = await native.counterIncrement(gone);
    await run("tpm2_nvundefine", ["-C", "o", `0x${gone.toString(16)}`], { env: env() });
    assert.ok((await native.counterDefine(a)) > last);
    assert.ok((await tools.counterDefine(b)) > last);
  });
});
