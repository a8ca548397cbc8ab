import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CHECKS } from "@edgeward/audit";
import { buildFakeDevice, FAKE_DEVICE_STATE, putFile, tempDir } from "@edgeward/testkit";
import { printedCode, runCli } from "./helpers/cli.ts";

interface ReportJson {
  ok: boolean;
  summary: Record<string, number>;
  checks: { id: string; status: string; evidence: string[]; fix: string }[];
}

describe("edgeward audit", () => {
  const dir = tempDir("edgeward-cli-audit-");
  const root = join(dir.path, "root");
  before(async () => void (await buildFakeDevice(root)));
  after(() => dir[Symbol.dispose]());

  it("on this machine: reports every check, exits 1 with EW_ERR_AUDIT_FAILED, and does not crash", async () => {
    const res = await runCli(["audit", "--format", "json"]);
    assert.equal(res.status, 1, res.stderr);
    assert.equal(printedCode(res), "EW_ERR_AUDIT_FAILED");
    const report = JSON.parse(res.stdout.toString()) as ReportJson;
    assert.deepEqual(
      report.checks.map((c) => c.id),
      CHECKS.map((c) => c.id),
    );
    assert.equal(report.ok, false);
    // A CI machine has no TPM-bound key, no agent state and no enrolment: those promises fail here.
    for (const id of ["promise-1-keys", "promise-7-attestation", "promise-10-audit-log"])
      assert.equal(report.checks.find((c) => c.id === id)?.status, "fail", id);
    assert.ok(
      report.checks.every((c) => c.evidence.length > 0 && !c.evidence.some((e) => e.includes("could not run"))),
    );
  });

  it("on a passing fake tree (--root, --state): exits 0 and prints the table", async () => {
    const res = await runCli(["audit", "--root", root, "--state", join(root, FAKE_DEVICE_STATE)]);
    assert.equal(res.status, 0, res.stderr + res.stdout.toString());
    assert.match(res.stdout.toString(), new RegExp(`${CHECKS.length} pass, 0 fail, 0 warn, 0 not applicable`));
    assert.ok(!res.stdout.toString().includes("\x1b["), "no colours when stdout is not a terminal");
  });

  it("-o writes SARIF and HTML files; the state directory defaults to ROOT/var/lib/edgeward", async () => {
    for (const format of ["sarif", "html"]) {
      const out = join(dir.path, `report.${format}`);
      const res = await runCli(["audit", "--root", root, "--format", format, "-o", out]);
      assert.equal(res.status, 0, res.stderr);
      assert.equal(res.stdout.length, 0);
      const text = readFileSync(out, "utf8");
      for (const c of CHECKS) assert.ok(text.includes(c.id), `${format} names ${c.id}`);
    }
  });

  it("a failing check makes the exit status 1, with its evidence and fix in the table", async () => {
    putFile(root, "/proc/sys/kernel/yama/ptrace_scope", "0\n");
    try {
      const res = await runCli(["audit", "--root", root]);
      assert.equal(res.status, 1);
      assert.match(res.stdout.toString(), /FAIL {4}host-ptrace-scope/);
      assert.match(res.stdout.toString(), /fix: Set kernel\.yama\.ptrace_scope = 1/);
    } finally {
      putFile(root, "/proc/sys/kernel/yama/ptrace_scope", "1\n", 0o644);
    }
  });

  it("when --root is not a directory, exits 2 with EW_ERR_AUDIT_ROOT", async () => {
    const res = await runCli(["audit", "--root", join(dir.path, "missing")]);
    assert.equal(printedCode(res), "EW_ERR_AUDIT_ROOT");
    assert.equal(res.status, 2);
  });

  it("when state.json is malformed, exits 4 with EW_ERR_AUDIT_STATE", async () => {
    const bad = join(dir.path, "bad-state");
    putFile(bad, "/state.json", JSON.stringify({ version: 1, attestation: { result: "maybe", at: "x" } }));
    chmodSync(join(bad, "state.json"), 0o600);
    const res = await runCli(["audit", "--root", root, "--state", bad]);
    assert.equal(printedCode(res), "EW_ERR_AUDIT_STATE");
    assert.equal(res.status, 4);
    writeFileSync(join(bad, "state.json"), "{");
    assert.equal(printedCode(await runCli(["audit", "--root", root, "--state", bad])), "EW_ERR_AUDIT_STATE");
  });

  it("when the format is unknown, exits 2 with EW_ERR_USAGE", async () => {
    assert.equal(printedCode(await runCli(["audit", "--root", root, "--format", "xml"])), "EW_ERR_USAGE");
  });
});
