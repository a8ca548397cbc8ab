/**
 * The audit as a SARIF 2.1.0 log (OASIS SARIF v2.1.0), for code-scanning dashboards: one rule per check in
 * tool.driver.rules (§3.49), one result per check (§3.27) whose `kind` says pass, fail or notApplicable
 * (§3.27.9) and whose `level` is error (fail) or warning (warn) for the ones to act on (§3.27.10).
 */
import type { CheckResult } from "../checks/check.ts";
import { CHECKS } from "../checks/index.ts";
import type { AuditReport } from "../run.ts";
import { STATUS_STYLE } from "./status-style.ts";

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

/** The SARIF log object (serialize with JSON.stringify). */
export function renderSarif(report: AuditReport): Record<string, unknown> {
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "edgeward audit",
            version: report.tool.version,
            rules: CHECKS.map((c) => ({
              id: c.id,
              name: c.id.replace(/(^|-)(\w)/g, (_m, _d: string, ch: string) => ch.toUpperCase()),
              shortDescription: { text: c.title },
              help: { text: c.fix },
              properties: { promise: c.promise },
            })),
          },
        },
        invocations: [{ executionSuccessful: true, endTimeUtc: report.generatedAt }],
        results: report.checks.map((c) => result(c)),
        properties: { hostname: report.host.hostname, root: report.host.root, deviceId: report.deviceId },
      },
    ],
  };
}

function result(c: CheckResult): Record<string, unknown> {
  const ruleIndex = CHECKS.findIndex((r) => r.id === c.id);
  const text = [`${c.title}: ${c.status}.`, ...c.evidence, ...(c.fix ? [`Fix: ${c.fix}`] : [])].join("\n");
  return {
    ruleId: c.id,
    ...(ruleIndex >= 0 ? { ruleIndex } : {}),
    kind: STATUS_STYLE[c.status].sarifKind,
    level: STATUS_STYLE[c.status].sarifLevel,
    message: { text },
    properties: { status: c.status, evidence: c.evidence, fix: c.fix },
  };
}
