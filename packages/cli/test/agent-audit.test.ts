// The daily audit end to end (docs/agent.md "state.json and the daily audit"): an agent enrolled with
// `edgeward agent enrol` against a real `edgeward hub serve` on a swtpm device keeps state.json current, its audit
// schedule sends the report to the hub, and the operator reads it back with `edgeward hub devices audit`.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseState, runAudit, type AuditReport } from "@edgeward/audit";
import {
  Agent,
  AUDIT_STATE_FILE,
  hubLink,
  parseConfig,
  readRuntimeStatus,
  stateLayout,
  type AuditTimer,
} from "@edgeward/agent";
import { Tpm2ToolsDevice } from "@edgeward/tpm";
import { startSwtpm, tempDir, type Swtpm } from "@edgeward/testkit";
import { printedCode, runCli } from "./helpers/cli.ts";
import { cliJson, startCliHub, type CliHub } from "./helpers/cli-hub.ts";

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

describe(
  "the agent's daily audit reaches a running hub, and the operator reads it (swtpm)",
  { timeout: 300_000 },
  () => {
    const dir = tempDir("edgeward-agent-audit-");
    const root = tempDir("edgeward-audit-root-");
    const layout = stateLayout(join(dir.path, "state"));
    let tpm: Swtpm;
    let hub: CliHub;
    let deviceId: string;

    before(async () => {
      tpm = await startSwtpm();
      hub = await startCliHub(join(dir.path, "hub"), "line-a");
      const { enrolToken } = await cliJson(["hub", "enrol-token", "--group", "line-a", ...hub.admin()]);
      const enrolled = await cliJson([
        ...["agent", "--tcti", tpm.tcti, "enrol", "--hub", hub.serve.url, "--ca", hub.init.caCertificate],
        ...["--token", String(enrolToken), "--state", layout.root, "--json"],
      ]);
      assert.equal((enrolled["attestation"] as { result: string }).result, "pass");
      deviceId = String(enrolled["deviceId"]);
    });
    after(async () => {
      await hub?.serve.stop();
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

    it("the scheduled audit reaches the hub after a failed run, and `hub devices audit` shows the latest", async () => {
      const show = (...more: string[]) => runCli(["hub", "devices", "audit", deviceId, ...hub.admin(), ...more]);
      assert.equal(printedCode(await show()), "EW_ERR_HUB_AUDIT_NOT_FOUND", "no report before the first audit");
      const timer = new ManualTimer();
      const lines: string[] = [];
      let failNext = true;
      const link = hubLink({
        say: (l) => lines.push(l),
        auditTimer: timer,
        audit: async (stateDir) => {
          if (failNext) {
            failNext = false;
            // A real failure of the audit: a root that does not exist.
            return runAudit({ root: join(root.path, "absent"), stateDir });
          }
          return runAudit({ root: root.path, stateDir });
        },
      });
      const agent = await Agent.start({
        tpm: new Tpm2ToolsDevice({ tcti: tpm.tcti }),
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
        assert.equal(timer.armed[0]?.ms, 60_000, "the first audit runs a minute after start");
        timer.fire();
        await link.audits?.settled();
        assert.ok(
          lines.some((l) => l.includes("EW_ERR_AUDIT_ROOT")),
          lines.join("\n"),
        );
        assert.equal(printedCode(await show()), "EW_ERR_HUB_AUDIT_NOT_FOUND", "nothing reached the hub");
        assert.equal(timer.armed[0]?.ms, 3_600_000, "the next run is armed a period later");
        timer.fire();
        await link.audits?.settled();
      } finally {
        await link.close();
        await agent.close();
      }
      const held = await cliJson(["hub", "devices", "audit", deviceId, ...hub.admin()]);
      assert.equal(held["deviceId"], deviceId);
      const report = held["report"] as AuditReport;
      assert.equal(report.deviceId, deviceId);
      // The log was shipped and acknowledged, and the tamper sources armed: promises 9 and 10 from real data.
      assert.equal(byId(report, "promise-9-tamper")?.status, "pass", JSON.stringify(byId(report, "promise-9-tamper")));
      assert.equal(byId(report, "promise-10-audit-log")?.status, "pass", JSON.stringify(report.checks));
      assert.equal(byId(report, "promise-7-attestation")?.status, "pass");
      // Without --json the operator sees when it arrived and one line per check.
      const text = await runCli(["hub", "devices", "audit", deviceId, ...hub.admin().filter((a) => a !== "--json")]);
      assert.equal(text.status, 0, text.stderr);
      const out = text.stdout.toString("utf8");
      assert.match(out, new RegExp(`^device: ${deviceId}\\nreceived: ${String(held["at"])}\\n`));
      assert.match(out, /promise-10-audit-log/);
    });
  },
);
