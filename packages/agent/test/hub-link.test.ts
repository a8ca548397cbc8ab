import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CHECKS, parseState, runAudit } from "@edgeward/audit";
import { generateSigningKey } from "@edgeward/core";
import { rejectsWithCode, syntheticMatMulModel, tempDir, type Swtpm } from "@edgeward/testkit";
import {
  Agent,
  AUDIT_STATE_FILE,
  floorIndexFor,
  hubLink,
  VersionFloor,
  loadDevice,
  parseConfig,
  ReleaseStore,
  saveDevice,
  writeJson,
  writePrivateFile,
  type StateLayout,
} from "@edgeward/agent";
import { deviceFor, SLOW, useProvisionedDevice } from "./helpers.ts";
import { makeTestPki } from "./pki.ts";
import { makeRelease, storeRelease } from "./releases.ts";

describe("when the hub cannot be reached", SLOW, () => {
  const fixture = useProvisionedDevice();
  let tpm: Swtpm;
  let layout: StateLayout;
  before(async () => {
    ({ tpm, layout } = fixture.device);
    const record = await loadDevice(layout);
    await saveDevice(layout, { ...record, deviceId: "dev-1", hubUrl: "https://127.0.0.1:9" });
    await writeJson(layout.hub, { hubUrl: "https://127.0.0.1:9", logVerifierKey: "x+00000000+AA==" });
    using pkiDir = tempDir("edgeward-pki-");
    await writePrivateFile(layout.hubCa, makeTestPki(pkiDir.path).caPem);
    const r = await makeRelease(syntheticMatMulModel(16, 4), record.recipient, generateSigningKey(), {
      id: "r1",
      version: "1",
    });
    await storeRelease(new ReleaseStore(layout), r);
    await new ReleaseStore(layout).switchTo("r1");
  });

  it("keeps serving the stored release, and the hub cycle fails with EW_ERR_AGENT_HUB_UNREACHABLE", async () => {
    const link = hubLink();
    const agent = await Agent.start({ tpm: deviceFor(tpm), layout, config: parseConfig({}) });
    try {
      assert.equal(agent.slot.current().version, "1");
      // state.json (docs/audit.md "The state directory") names the running release and the TPM's own floor.
      const state = parseState(readFileSync(join(layout.root, AUDIT_STATE_FILE), "utf8"));
      const floor = await new VersionFloor(deviceFor(tpm), floorIndexFor(agent.slot.current().name)).read();
      assert.ok(floor >= 1n);
      assert.deepEqual(state.update, { target: "matmul/1", runningVersion: 1, floor: Number(floor) });
      const audit = await runAudit({ root: layout.root, stateDir: layout.root, checks: CHECKS.slice(5, 6) });
      assert.equal(audit.checks[0]?.id, "promise-6-updates");
      assert.ok(
        audit.checks[0]?.evidence.includes(`running version 1; NV floor ${floor}`),
        audit.checks[0]?.evidence.join(),
      );
      await rejectsWithCode(link.cycle(agent), "EW_ERR_AGENT_HUB_UNREACHABLE");
      assert.equal(agent.slot.current().version, "1", "still serving");
    } finally {
      await link.close();
      await agent.close();
    }
  });

  it("with requireFreshAttestation a restart opens nothing until an attestation passed", async () => {
    const agent = await Agent.start({
      tpm: deviceFor(tpm),
      layout,
      config: parseConfig({ requireFreshAttestation: true }),
    });
    try {
      assert.equal(agent.slot.describe().model, undefined);
      await agent.resume(true); // what the hub link does after a pass
      assert.equal(agent.slot.current().version, "1");
    } finally {
      await agent.close();
    }
  });

  it("a tamper event is handled locally even though the hub is not told", async () => {
    const link = hubLink();
    const agent = await Agent.start({ tpm: deviceFor(tpm), layout, config: parseConfig({}), hub: link });
    try {
      await agent.tamper({ source: "case", details: "opened" });
      assert.equal(agent.slot.describe().tampered?.source, "case");
      const state = parseState(readFileSync(join(layout.root, AUDIT_STATE_FILE), "utf8"));
      assert.deepEqual(
        state.tamper?.sources,
        [{ kind: "manual", armed: false }],
        "a tripped device is no longer armed",
      );
      assert.equal(await new ReleaseStore(layout).header("r1"), undefined);
    } finally {
      await agent.close();
    }
  });
});
