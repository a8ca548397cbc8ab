/**
 * The audit as a table for a terminal: one row per check (status, check, the first line of evidence), then the
 * evidence and fix of each check that did not pass. Colours only when asked (the CLI asks when stdout is a TTY).
 */
import type { CheckStatus } from "../checks/check.ts";
import type { AuditReport } from "../run.ts";
import { STATUS_STYLE } from "./status-style.ts";

const RESET = "\x1b[0m";

/** The report as text; `colour` adds ANSI colours to the status column. */
export function renderText(report: AuditReport, options: { colour?: boolean; width?: number } = {}): string {
  const paint = (s: CheckStatus, text: string): string =>
    options.colour === true ? `${STATUS_STYLE[s].ansi}${text}${RESET}` : text;
  const width = options.width ?? 120;
  const idWidth = Math.max(...report.checks.map((c) => c.id.length));
  const lines = [
    `Edgeward audit of ${report.host.hostname} (root ${report.host.root}), ${report.generatedAt}`,
    `state directory: ${report.stateDir ?? "none"}`,
    "",
    `${"STATUS".padEnd(6)}  ${"CHECK".padEnd(idWidth)}  EVIDENCE`,
  ];
  for (const c of report.checks) {
    const first = clip(c.evidence[0] ?? "", width - idWidth - 10);
    lines.push(`${paint(c.status, STATUS_STYLE[c.status].label.padEnd(6))}  ${c.id.padEnd(idWidth)}  ${first}`);
  }
  const s = report.summary;
  lines.push("", `${s.pass} pass, ${s.fail} fail, ${s.warn} warn, ${s["not-applicable"]} not applicable`);
  for (const c of report.checks.filter((x) => x.status === "fail" || x.status === "warn")) {
    lines.push("", `${paint(c.status, STATUS_STYLE[c.status].label)} ${c.id}: ${c.title}`);
    for (const e of c.evidence) lines.push(`  ${e}`);
    lines.push(`  fix: ${c.fix}`);
  }
  return `${lines.join("\n")}\n`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
