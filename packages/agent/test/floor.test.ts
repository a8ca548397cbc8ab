import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rejectsWithCode, startSwtpm, type Swtpm } from "@edgeward/testkit";
import { floorIndexFor, VersionFloor } from "@edgeward/agent";
import { countingReads, deviceFor, SLOW } from "./helpers.ts";

describe("the version floor in the TPM NV counter (swtpm)", SLOW, () => {
  let tpm: Swtpm;
  before(async () => {
    tpm = await startSwtpm();
  });
  after(async () => {
    await tpm?.stop();
  });

  it("refuses a release below the floor with EW_ERR_AGENT_FLOOR, after a reboot and with a new state directory", async () => {
    const floor = new VersionFloor(deviceFor(tpm));
    assert.equal(await floor.init(), 1n);
    await floor.check(1, "model 1");
    assert.equal(await floor.raise(3), 3n);
    assert.equal(await floor.raise(2), 3n, "raising to a lower sequence leaves the floor");
    await rejectsWithCode(floor.check(2, "model 2"), "EW_ERR_AGENT_FLOOR");
    await floor.check(3, "model 3");
    await tpm.reboot();
    // Nothing but the TPM remembers the floor: a fresh object (a reinstalled agent, a wiped state) sees it.
    const again = new VersionFloor(deviceFor(tpm));
    assert.equal(await again.init(), 3n);
    await rejectsWithCode(again.check(2, "model 2"), "EW_ERR_AGENT_FLOOR");
  });

  it("keeps one floor per release name: raising one model's floor holds back no other", async () => {
    const dev = deviceFor(tpm);
    assert.notEqual(floorIndexFor("ocr-det"), floorIndexFor("ocr-cls"));
    const det = await VersionFloor.forRelease(dev, "ocr-det");
    await det.raise(5);
    const cls = await VersionFloor.forRelease(dev, "ocr-cls");
    await cls.check(1, "ocr-cls 1");
    await rejectsWithCode(det.check(4, "ocr-det 4"), "EW_ERR_AGENT_FLOOR");
    assert.equal(await (await VersionFloor.forRelease(dev, "ocr-det")).read(), 5n);
  });

  it("refuses a sequence below a floor it already read without another TPM command, and checks the rest in the TPM", async () => {
    const dev = deviceFor(tpm);
    const counted = countingReads(dev);
    const floor = await VersionFloor.forRelease(counted.device, "ocr-rec");
    await floor.raise(4);
    counted.reads = 0;
    await rejectsWithCode(floor.check(3, "ocr-rec 3"), "EW_ERR_AGENT_FLOOR");
    assert.equal(counted.reads, 0, "a sequence below the known floor needs no TPM read");
    // Another holder of the same counter raises it: a sequence at the known floor is checked in the TPM and refused.
    await (await VersionFloor.forRelease(dev, "ocr-rec")).raise(6);
    await rejectsWithCode(floor.check(5, "ocr-rec 5"), "EW_ERR_AGENT_FLOOR");
    assert.equal(counted.reads, 1);
    await floor.check(6, "ocr-rec 6");
  });

  it("refuses an absurd step or a sequence that is not a non-negative integer", async () => {
    const floor = new VersionFloor(deviceFor(tpm));
    await floor.init();
    await rejectsWithCode(floor.raise(1_000_000), "EW_ERR_AGENT_FLOOR");
    await rejectsWithCode(floor.check(-1, "x"), "EW_ERR_AGENT_HUB_RESPONSE");
    await rejectsWithCode(floor.check(1.5, "x"), "EW_ERR_AGENT_HUB_RESPONSE");
  });
});
