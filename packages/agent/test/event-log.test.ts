// The firmware event log beside the quote (docs/agent.md "Configuration", eventLogPath; docs/devices.md "Secure
// boot"): the body the agent sends carries the log when the configured file exists and omits it otherwise. The
// quote comes from a real swtpm; the hub is a recording stand-in (a mock, named so) since the hub's side of the
// same body is tested in packages/hub/test/device-secure-boot.test.ts.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { wire } from "@edgeward/core";
import { EVENTLOG_FIXTURES } from "@edgeward/testkit";
import {
  attestOnce,
  DEFAULT_CONFIG,
  loadDevice,
  openDeviceKeys,
  parseConfig,
  readEventLog,
  type HubClient,
} from "@edgeward/agent";
import { deviceFor, SLOW, useProvisionedDevice } from "./helpers.ts";

const FIXTURE = join(EVENTLOG_FIXTURES, "keylime-binary_bios_measurements-secureboot.bin");

/** A mock hub client that records the quote body and answers a fixed challenge. */
function mockRecordingHub(): { client: HubClient; bodies: wire.QuoteRequest[] } {
  const bodies: wire.QuoteRequest[] = [];
  const client = {
    challenge: () => Promise.resolve({ nonce: "ab".repeat(16), pcrSelection: "sha256:0,7" }),
    quote: (body: wire.QuoteRequest) => {
      bodies.push(body);
      return Promise.resolve({ result: "pass", reasons: [], nextAttestAt: new Date().toISOString() });
    },
  } as unknown as HubClient;
  return { client, bodies };
}

describe("event log beside the quote", SLOW, () => {
  const d = useProvisionedDevice();

  async function attestWith(eventLogPath: string | undefined, warn?: (line: string) => void) {
    const tpm = deviceFor(d.device.tpm);
    const record = { ...(await loadDevice(d.device.layout)), deviceId: "dev-event-log" };
    const keys = await openDeviceKeys(tpm, record);
    const hub = mockRecordingHub();
    await attestOnce(hub.client, tpm, keys, record, d.device.layout, false, {
      ...(eventLogPath === undefined ? {} : { eventLogPath }),
      ...(warn === undefined ? {} : { warn }),
    });
    assert.equal(hub.bodies.length, 1);
    return hub.bodies[0]!;
  }

  it("sends the configured log, base64, with the quote", async () => {
    const body = await attestWith(FIXTURE);
    assert.ok(body.eventLog !== undefined);
    assert.deepEqual(Buffer.from(body.eventLog, "base64"), readFileSync(FIXTURE));
    assert.ok(body.pcrs["sha256"]?.["7"] !== undefined);
  });

  it("omits the field when the file is missing, without a warning", async () => {
    const lines: string[] = [];
    const body = await attestWith(join(d.device.dir, "no-such-log"), (l) => lines.push(l));
    assert.equal("eventLog" in body, false);
    assert.deepEqual(lines, []);
  });

  it("skips, with a warning, a log larger than the wire allows and an empty one", async () => {
    const big = join(d.device.dir, "big.bin");
    writeFileSync(big, Buffer.alloc(wire.MAX_EVENT_LOG_BYTES + 1, 1));
    const lines: string[] = [];
    const body = await attestWith(big, (l) => lines.push(l));
    assert.equal("eventLog" in body, false);
    assert.match(lines[0] ?? "", /larger than/);
    const empty = join(d.device.dir, "empty.bin");
    writeFileSync(empty, "");
    assert.equal(await readEventLog(empty, (l) => lines.push(l)), undefined);
    assert.match(lines[1] ?? "", /empty/);
  });

  it("reads a log exactly at the bound", async () => {
    const edge = join(d.device.dir, "edge.bin");
    writeFileSync(edge, Buffer.alloc(wire.MAX_EVENT_LOG_BYTES, 2));
    const b = await readEventLog(edge);
    assert.equal(Buffer.from(b ?? "", "base64").length, wire.MAX_EVENT_LOG_BYTES);
  });

  it("warns for a path that exists but cannot be read as a file", async () => {
    const lines: string[] = [];
    assert.equal(await readEventLog(d.device.dir, (l) => lines.push(l)), undefined);
    assert.match(lines[0] ?? "", /cannot be read/);
  });

  it("takes eventLogPath from the configuration, defaulting to the kernel's file", () => {
    assert.equal(DEFAULT_CONFIG.eventLogPath, "/sys/kernel/security/tpm0/binary_bios_measurements");
    assert.equal(parseConfig({}).eventLogPath, DEFAULT_CONFIG.eventLogPath);
    assert.equal(parseConfig({ eventLogPath: FIXTURE }).eventLogPath, FIXTURE);
  });
});
