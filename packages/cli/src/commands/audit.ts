import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { renderHtml, renderSarif, renderText, runAudit, type AuditReport } from "@edgeward/audit";
import { writeTextOutput } from "@edgeward/io";

interface AuditOptions {
  state?: string;
  root?: string;
  format: string;
  output?: string;
}

const FORMATS = ["text", "json", "sarif", "html"];

/**
 * `edgeward audit`: checks this device against the ten promises of ARCHITECTURE.md and host hardening, each with
 * its evidence and a fix (docs/audit.md). Exits 0 when nothing fails, 1 (EW_ERR_AUDIT_FAILED) when a check fails.
 */
export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description("check this device against the ten promises and host hardening, with evidence and fixes")
    .option("--state <dir>", "the agent's state directory (default: ROOT/var/lib/edgeward)")
    .option("--root <path>", "read /proc, /sys, /etc and EFI variables under PATH instead of / (fake trees)")
    .option("--format <format>", `output format: ${FORMATS.join(", ")}`, "text")
    .option("-o, --output <file>", "write the report to FILE instead of stdout")
    .action(async (opts: AuditOptions) => {
      if (!FORMATS.includes(opts.format))
        throw new EdgewardError("EW_ERR_USAGE", { detail: `--format must be one of ${FORMATS.join(", ")}` });
      const report = await runAudit({
        ...(opts.root === undefined ? {} : { root: opts.root }),
        ...(opts.state === undefined ? {} : { stateDir: opts.state }),
      });
      const colour = opts.output === undefined && process.stdout.isTTY && process.env["NO_COLOR"] === undefined;
      const text = render(report, opts.format, colour);
      if (opts.output === undefined) process.stdout.write(text);
      else await writeTextOutput(opts.output, text, { what: "audit report", mode: 0o600 });
      if (!report.ok)
        throw new EdgewardError("EW_ERR_AUDIT_FAILED", {
          detail: `${report.summary.fail} of ${report.checks.length} checks`,
        });
    });
}

function render(report: AuditReport, format: string, colour: boolean): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "sarif":
      return `${JSON.stringify(renderSarif(report), null, 2)}\n`;
    case "html":
      return renderHtml(report);
    default:
      return renderText(report, { colour });
  }
}
