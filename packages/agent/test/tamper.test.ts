import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadModel } from "@edgeward/runtime";
import { rejectsWithCode, syntheticMatMulModel, tempDir, throwsWithCode, type Swtpm } from "@edgeward/testkit";
import { APPLICATION_PCR } from "@edgeward/tpm";
import {
  accelerometerSource,
  commandSource,
  loadDevice,
  manualSource,
  ModelSlot,
  openDeviceKeys,
  readTamperRecord,
  respondToTamper,
  valueFileSource,
  watchTamper,
  writePrivateFile,
  type StateLayout,
  type TamperReading,
} from "@edgeward/agent";
import { deviceFor, SLOW, useProvisionedDevice } from "./helpers.ts";

describe("tamper sources on a fake sysfs tree", () => {
  const sys = tempDir("edgeward-sysfs-");
  after(() => sys[Symbol.dispose]());

  it("a GPIO value file trips when it leaves its normal value, and an unreadable one is an error", async () => {
    const gpio = join(sys.path, "class/gpio/gpio17");
    mkdirSync(gpio, { recursive: true });
    writeFileSync(join(gpio, "value"), "0\n");
    const src = valueFileSource("case-switch", join(gpio, "value"), "0");
    assert.equal(await src.poll(), undefined);
    writeFileSync(join(gpio, "value"), "1\n");
    assert.equal((await src.poll())?.source, "case-switch");
    rmSync(join(gpio, "value"));
    await rejectsWithCode(src.poll(), "EW_ERR_AGENT_TAMPER_SOURCE");
  });

  it("an IIO accelerometer trips when an axis moves beyond the threshold from rest", async () => {
    const iio = join(sys.path, "bus/iio/devices/iio:device0");
    mkdirSync(iio, { recursive: true });
    const set = (x: number, y: number, z: number) => {
      writeFileSync(join(iio, "in_accel_x_raw"), `${x}\n`);
      writeFileSync(join(iio, "in_accel_y_raw"), `${y}\n`);
      writeFileSync(join(iio, "in_accel_z_raw"), `${z}\n`);
    };
    set(3, -2, 1024);
    const src = accelerometerSource("accel", iio, 200);
    assert.equal(await src.poll(), undefined, "the first reading is the baseline");
    set(50, -60, 1000);
    assert.equal(await src.poll(), undefined, "vibration below the threshold");
    set(3, -2, 700);
    assert.match((await src.poll())?.details ?? "", /324/);
    writeFileSync(join(iio, "in_accel_z_raw"), "garbage\n");
    await rejectsWithCode(src.poll(), "EW_ERR_AGENT_TAMPER_SOURCE");
  });

  it("a command trips on a non-zero exit status", async () => {
    assert.equal(await commandSource("ok", ["true"]).poll(), undefined);
    assert.match((await commandSource("intrusion", ["sh", "-c", "exit 3"]).poll())?.details ?? "", /exit status 3/);
    throwsWithCode(() => commandSource("empty", []), "EW_ERR_AGENT_CONFIG");
  });

  it("the watcher trips once, on the first source that trips, and counts an unreadable source as tripped", async () => {
    const path = join(sys.path, "switch");
    writeFileSync(path, "0");
    const trips: TamperReading[] = [];
    const w = watchTamper([valueFileSource("switch", path, "0")], { intervalMs: 5, onTrip: (r) => trips.push(r) });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(trips.length, 0);
    rmSync(path);
    for (let i = 0; i < 100 && trips.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await w.close();
    assert.equal(trips.length, 1);
    assert.match(trips[0]?.details ?? "", /EW_ERR_AGENT_TAMPER_SOURCE/);
  });
});

describe("the tamper response (swtpm, ONNX Runtime)", SLOW, () => {
  const fixture = useProvisionedDevice();
  let tpm: Swtpm;
  let layout: StateLayout;
  before(() => ({ tpm, layout } = fixture.device));

  it("within 100 ms of a case switch: nothing served, buffer zeroed; then headers gone, PCR extended, keys refused", async () => {
    const dev = deviceFor(tpm);
    const slot = new ModelSlot(loadModel);
    const model = syntheticMatMulModel(16, 4);
    const plaintext = new Uint8Array(model);
    await slot.activate({ name: "m", version: "1", releaseId: "r1" }, plaintext);
    assert.ok(
      plaintext.every((b) => b === 0),
      "the decrypted buffer is zeroed once the session holds the model",
    );
    assert.equal(slot.current().name, "m");
    await writePrivateFile(layout.release("r1").header, "age header bytes");
    await writePrivateFile(layout.release("r1").payload, "ciphertext");
    const pcrBefore = (await dev.pcrRead([{ bank: "sha256", pcrs: [APPLICATION_PCR] }])).sha256?.[APPLICATION_PCR];

    const sw = join(fixture.device.dir, "case");
    writeFileSync(sw, "0");
    const audited: string[] = [];
    const notified: string[] = [];
    let tripAt = 0;
    let zeroizedAt = 0;
    const done = new Promise<Awaited<ReturnType<typeof respondToTamper>>>((resolve, reject) => {
      const w = watchTamper([valueFileSource("case", sw, "0")], {
        onTrip: (reading) => {
          void w.close();
          respondToTamper(reading, {
            tpm: dev,
            layout,
            zeroize: (r) => {
              void slot.zeroize(r);
              zeroizedAt = performance.now();
            },
            audit: (r) => Promise.resolve(void audited.push(r.source)),
            notifyHub: (r) => Promise.resolve(void notified.push(r.source)),
          }).then(resolve, reject);
        },
      });
    });
    tripAt = performance.now();
    writeFileSync(sw, "1");
    const result = await done;
    assert.ok(zeroizedAt - tripAt < 100, `zeroized ${(zeroizedAt - tripAt).toFixed(1)} ms after the switch`);
    throwsWithCode(() => slot.current(), "EW_ERR_AGENT_TAMPERED");
    await rejectsWithCode(
      slot.activate({ name: "m", version: "2", releaseId: "r2" }, new Uint8Array(model)),
      "EW_ERR_AGENT_TAMPERED",
    );
    assert.equal(existsSync(layout.release("r1").header), false, "the device header is deleted");
    assert.equal(existsSync(layout.release("r1").payload), true, "the ciphertext alone stays");
    const afterPcr = (await dev.pcrRead([{ bank: "sha256", pcrs: [APPLICATION_PCR] }])).sha256?.[APPLICATION_PCR];
    assert.notDeepEqual(afterPcr, pcrBefore);
    await rejectsWithCode(openDeviceKeys(dev, await loadDevice(layout)), "EW_ERR_TPM_POLICY");
    assert.equal((await readTamperRecord(layout))?.source, "case");
    assert.deepEqual(audited, ["case"]);
    assert.deepEqual(notified, ["case"]);
    assert.ok(result.timings.pcrExtendedMs < 1000);
  });

  it("the manual trigger is seen by a running watcher through tamper.json, and a second response extends no more", async () => {
    const dev = deviceFor(tpm);
    const src = manualSource(layout);
    const reading = await src.poll();
    assert.equal(reading?.source, "case", "tamper.json from the first event makes a restarted agent start tampered");
    const pcr = (await dev.pcrRead([{ bank: "sha256", pcrs: [APPLICATION_PCR] }])).sha256?.[APPLICATION_PCR];
    await respondToTamper({ source: "manual", details: "operator" }, { tpm: dev, layout });
    const again = (await dev.pcrRead([{ bank: "sha256", pcrs: [APPLICATION_PCR] }])).sha256?.[APPLICATION_PCR];
    assert.deepEqual(again, pcr);
    assert.equal((await readTamperRecord(layout))?.source, "case", "the record keeps the first event");
  });
});
