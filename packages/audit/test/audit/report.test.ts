import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Ajv } from "ajv";
import AjvDraft04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import {
  AUDIT_REPORT_SCHEMA,
  CHECKS,
  renderHtml,
  renderSarif,
  renderText,
  runAudit,
  type AuditReport,
} from "@edgeward/audit";
import { buildFakeDevice, FAKE_DEVICE_STATE, putFile, tempDir } from "@edgeward/testkit";
import { chromium } from "./chromium.ts";

// The published SARIF 2.1.0 JSON schema (OASIS, sarif-2.1.0-rtm.5), as @microsoft/jest-sarif ships it.
const SARIF_SCHEMA = JSON.parse(
  readFileSync(
    new URL(
      import.meta
        .resolve("@microsoft/jest-sarif/package.json")
        .replace("package.json", "lib/schemas/sarif-2.1.0-rtm.5.json"),
    ),
    "utf8",
  ),
) as Record<string, unknown>;
/** Where the rendered report's screenshot is kept after the run (a test artefact, not committed). */
export const ARTIFACTS = new URL("../../../../.tmp/test-artifacts/", import.meta.url).pathname;

/** A validator for `schema`: draft-07 (ours) with ajv, draft-04 (SARIF's) with ajv-draft-04. */
function validator(schema: Record<string, unknown>): (data: unknown) => string | undefined {
  // The SARIF schema has a pattern that is valid only without the u flag, so draft-04 runs with unicodeRegExp off.
  const draft04 = String(schema["$schema"]).includes("draft-04");
  const ajv = draft04
    ? new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false })
    : new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);
  return (data) => (validate(data) ? undefined : ajv.errorsText(validate.errors));
}

describe("audit reports: JSON (schema), SARIF 2.1.0, text, HTML in Chromium", () => {
  const dir = tempDir("edgeward-audit-report-");
  let report: AuditReport;
  before(async () => {
    const root = join(dir.path, "root");
    await buildFakeDevice(root);
    // Two failures and a not-applicable (no SSH server) among passes, with markup in the evidence, so every branch renders.
    putFile(root, "/proc/sys/kernel/yama/ptrace_scope", "0\n");
    putFile(root, "/tmp/<script>alert(1)</script>.png", Buffer.from("89504e470d0a1a0a", "hex"));
    putFile(root, `${FAKE_DEVICE_STATE}/state.json`, readFileSync(join(root, FAKE_DEVICE_STATE, "state.json"), "utf8"));
    rmSync(join(root, "etc/ssh"), { recursive: true });
    report = await runAudit({ root });
  });
  after(() => dir[Symbol.dispose]());

  it("the JSON report validates against its JSON Schema, and a broken one does not", () => {
    const check = validator(AUDIT_REPORT_SCHEMA);
    const json = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
    assert.equal(check(json), undefined);
    assert.equal(report.summary.fail, 2);
    assert.match(check({ ...json, checks: [{ id: "x", status: "maybe" }] }) ?? "", /must/);
  });

  it("the SARIF log validates against the published SARIF 2.1.0 schema, one result per check", () => {
    const sarif = renderSarif(report);
    const check = validator(SARIF_SCHEMA);
    assert.equal(check(JSON.parse(JSON.stringify(sarif))), undefined);
    const run = (sarif["runs"] as { results: { ruleId: string; kind: string; level: string }[] }[])[0]!;
    assert.equal(run.results.length, CHECKS.length);
    const ptrace = run.results.find((r) => r.ruleId === "host-ptrace-scope")!;
    assert.deepEqual([ptrace.kind, ptrace.level], ["fail", "error"]);
    assert.equal(check({ ...sarif, version: "2.0.0" }) !== undefined, true);
  });

  it("the text table colours statuses only when asked", () => {
    const plain = renderText(report);
    assert.ok(!plain.includes("\x1b["));
    assert.match(plain, /FAIL {4}host-ptrace-scope/);
    assert.match(plain, /fix: Set kernel\.yama\.ptrace_scope/);
    assert.ok(renderText(report, { colour: true }).includes("\x1b[31mFAIL"));
  });

  it("the HTML report renders in headless Chromium with every check, escaped, and a screenshot is kept", async () => {
    const file = join(dir.path, "report.html");
    writeFileSync(file, renderHtml(report));
    const dom = await chromium(`file://${file}`, ["--dump-dom"]);
    for (const c of report.checks) {
      assert.ok(dom.includes(`id="${c.id}"`), c.id);
      assert.ok(dom.includes(c.title.replace(/&/g, "&amp;").replace(/</g, "&lt;")), c.title);
    }
    assert.ok(!dom.includes("<script>alert(1)</script>"));
    assert.match(dom, /&lt;script&gt;alert\(1\)&lt;\/script&gt;\.png/);
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = join(ARTIFACTS, "audit-report.png");
    await chromium(`file://${file}`, [`--screenshot=${png}`, "--window-size=1280,2400"]);
    assert.ok(statSync(png).size > 10_000);
    assert.deepEqual([...readFileSync(png).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  });
});
