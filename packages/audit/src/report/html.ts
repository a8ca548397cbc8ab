/**
 * The audit as one self-contained HTML page (no script, no external resource: styles inline), to open from disk
 * or attach to a ticket. Every value is escaped; the page carries one section per check with its evidence and fix.
 */
import type { AuditReport } from "../run.ts";
import { STATUS_STYLE } from "./status-style.ts";

const COLOUR = {
  pass: STATUS_STYLE.pass.html,
  fail: STATUS_STYLE.fail.html,
  warn: STATUS_STYLE.warn.html,
  "not-applicable": STATUS_STYLE["not-applicable"].html,
};

/** The report as an HTML document. */
export function renderHtml(report: AuditReport): string {
  const s = report.summary;
  const rows = report.checks
    .map(
      (c) => `<tr id="${esc(c.id)}" class="${c.status}">
<td><span class="badge" style="background:${COLOUR[c.status]}">${esc(c.status)}</span></td>
<td><strong>${esc(c.title)}</strong><br><code>${esc(c.id)}</code>${c.promise === null ? "" : ` · promise ${c.promise}`}</td>
<td><ul>${c.evidence.map((e) => `<li>${esc(e)}</li>`).join("")}</ul>${c.fix ? `<p class="fix">Fix: ${esc(c.fix)}</p>` : ""}</td>
</tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Edgeward audit: ${esc(report.host.hostname)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1f2328; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #d0d7de; padding: .5rem; vertical-align: top; text-align: left; }
.badge { color: #fff; border-radius: 1rem; padding: .1rem .6rem; font-weight: 600; white-space: nowrap; }
ul { margin: 0; padding-left: 1.1rem; } code { font-size: 12px; color: #57606a; }
.fix { margin: .4rem 0 0; color: #0969da; }
.summary span { margin-right: 1rem; font-weight: 600; }
</style>
</head>
<body>
<h1>Edgeward audit</h1>
<p>${esc(report.host.hostname)} · root <code>${esc(report.host.root)}</code> · state <code>${esc(report.stateDir ?? "none")}</code> · ${esc(report.generatedAt)}</p>
<p class="summary" id="summary"><span style="color:${COLOUR.pass}">${s.pass} pass</span><span style="color:${COLOUR.fail}">${s.fail} fail</span><span style="color:${COLOUR.warn}">${s.warn} warn</span><span style="color:${COLOUR["not-applicable"]}">${s["not-applicable"]} not applicable</span></p>
<table>
<thead><tr><th>Status</th><th>Check</th><th>Evidence and fix</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
