import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseState, runAudit, type AuditReport } from "@edgeward/audit";
import { startSwtpm, tempDir, type Swtpm } from "@edgeward/testkit";
import {
  Agent,
  AUDIT_STATE_FILE,
  enrolDevice,
  hubLink,
  parseConfig,
  readRuntimeStatus,
  stateLayout,
  type AuditTimer,
  type StateLayout,
} from "@edgeward/agent";
// The hub's own test harness: its real app on HTTPS with the device CA and mTLS, SQLite storage (a sibling package's
// test helper, so this test exercises the exact hub the device API runs).
import { createEnrolToken } from "../../hub/src/device/enrolment.ts";
import { startMtlsHub, type MtlsHub } from "../../hub/test/mtls-harness.ts";
import { deviceFor, SLOW } from "./helpers.ts";

/** A timer the test fires by hand: nothing sleeps. */
class ManualTimer implements AuditTimer {
  readonly armed: { fn: () => void; ms: number }[] = [];
  set(fn: () => void, ms: number): unknown {
    const entry = { fn, ms };
    this.armed.push(entry);
    return entry;
  }
  clear(handle: unknown): void {
    const i = this.armed.indexOf(handle as { fn: () => void; ms: number });
    if (i >= 0) this.armed.splice(i, 1);
  }
  fire(): void {
    const next = this.armed.shift();
    assert.ok(next, "a run is armed");
    next.fn();
  }
}

const byId = (report: AuditReport, id: string) => report.checks.find((c) => c.id === id);

describe("state.json and the daily audit against an in-process hub (swtpm, mTLS)", SLOW, () => {
  const dir = tempDir("edgeward-agent-audit-");
  const root = tempDir("edgeward-audit-root-");
  let tpm: Swtpm;
  let hub: MtlsHub;
  let layout: StateLayout;
  let deviceId: string;

  before(async () => {
    tpm = await startSwtpm();
    hub = await startMtlsHub(deviceFor(tpm), dir.path);
    layout = stateLayout(join(dir.path, "state"));
    const { token } = await createEnrolToken({ store: hub.h.store, now: () => new Date() }, "factory");
    const enrolled = await enrolDevice({
      tpm: deviceFor(tpm),
      layout,
      hubUrl: hub.url,
      caPem: readFileSync(hub.caPath, "utf8"),
      proof: { token },
    });
    assert.equal(enrolled.attestation?.result, "pass");
    deviceId = enrolled.deviceId;
  });
  after(async () => {
    await hub?.close();
    await tpm?.stop();
    dir[Symbol.dispose]();
    root[Symbol.dispose]();
  });

  it("enrolment leaves a state.json (0600) the audit reads: mTLS, attestation and keys from real data", async () => {
    const path = join(layout.root, AUDIT_STATE_FILE);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const report = await runAudit({ root: root.path, stateDir: layout.root });
    assert.equal(report.deviceId, deviceId);
    const mtls = byId(report, "promise-4-mtls");
    assert.equal(mtls?.status, "pass", JSON.stringify(mtls));
    const attestation = byId(report, "promise-7-attestation");
    assert.equal(attestation?.status, "pass", JSON.stringify(attestation));
    // The keys are TPM-bound with a PCR policy; with no /dev/tpmrm0 under the test root, promise 1 does not pass,
    // but it must have read the unwrap key from state.json, not a missing section.
    const keys = byId(report, "promise-1-keys");
    assert.match(keys?.evidence.join("\n") ?? "", /tpm/i, JSON.stringify(keys));
  });

  it("the running agent keeps state.json current and its scheduled audit reaches the hub, retried after a failure", async () => {
    const timer = new ManualTimer();
    const lines: string[] = [];
    let failNext = true;
    const link = hubLink({
      say: (l) => lines.push(l),
      auditTimer: timer,
      audit: async (stateDir) => {
        if (failNext) {
          failNext = false;
          // A real failure of the audit: a state directory that does not exist as the root.
          return runAudit({ root: join(root.path, "absent"), stateDir });
        }
        return runAudit({ root: root.path, stateDir });
      },
    });
    const agent = await Agent.start({
      tpm: deviceFor(tpm),
      layout,
      config: parseConfig({ auditIntervalMs: 3_600_000 }),
      hub: link,
    });
    try {
      // link.start runs the first hub cycle (attest, ship the log); wait until the hub acknowledged the log.
      for (let i = 0; i < 200 && (await readRuntimeStatus(layout)).logShipped !== agent.log.size; i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.equal((await readRuntimeStatus(layout)).logShipped, agent.log.size, lines.join("\n"));
      // state.json followed the cycle on its own, before any audit ran: the acknowledged log and the armed sources.
      const state = parseState(readFileSync(join(layout.root, AUDIT_STATE_FILE), "utf8"));
      assert.equal(state.log?.checkpoint?.size, agent.log.size);
      assert.deepEqual(state.tamper?.sources, [{ kind: "manual", armed: true }]);
      assert.equal(timer.armed.length, 1);
      assert.equal(timer.armed[0]?.ms, 60_000, "the first audit runs a minute after start");
      timer.fire();
      await link.audits?.settled();
      assert.ok(
        lines.some((l) => l.includes("EW_ERR_AUDIT_ROOT")),
        lines.join("\n"),
      );
      assert.equal(await hub.h.store.getAuditReport(deviceId), undefined, "nothing reached the hub");
      assert.equal(timer.armed[0]?.ms, 3_600_000, "the next run is armed a period later");
      timer.fire();
      await link.audits?.settled();
      const kept = await hub.h.store.getAuditReport(deviceId);
      assert.ok(kept, lines.join("\n"));
      const report = kept.report as unknown as AuditReport;
      assert.equal(report.deviceId, deviceId);
      // The log was shipped and acknowledged, and the tamper sources armed: promises 9 and 10 from real data.
      assert.equal(byId(report, "promise-9-tamper")?.status, "pass", JSON.stringify(byId(report, "promise-9-tamper")));
      const log = byId(report, "promise-10-audit-log");
      assert.equal(log?.status, "pass", JSON.stringify(log));
      assert.equal(byId(report, "promise-7-attestation")?.status, "pass");
    } finally {
      await link.close();
      await agent.close();
    }
  });
});
