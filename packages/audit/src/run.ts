/**
 * Runs every audit check against a host and the agent's state directory and collects the report (docs/audit.md).
 * Checks run one after another (they share the disk) and never abort the audit: a check that throws is reported
 * as failed with the error's code as evidence.
 */
import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { hostname } from "node:os";
import { EdgewardError, isEdgewardError } from "@edgeward/core";
import type { AuditContext, Check, CheckResult, CheckStatus } from "./checks/check.ts";
import { CHECKS } from "./checks/index.ts";
import { HostView } from "./host/host-view.ts";
import { parseState, type AuditState } from "./state/state.ts";

/** The report format version (the JSON Schema in audit-report.schema.json describes it). */
export const REPORT_VERSION = 1;
/** The agent's state directory on a device, under the root. */
export const DEFAULT_STATE_DIR = "/var/lib/edgeward";
/** Under a fake root, the file that stands in for `nft -j list ruleset`. */
export const FAKE_NFT_RULESET = "/run/edgeward/nft-ruleset.json";

/** The whole audit. */
export interface AuditReport {
  readonly version: typeof REPORT_VERSION;
  readonly tool: { readonly name: "edgeward audit"; readonly version: string };
  readonly generatedAt: string;
  readonly host: { readonly hostname: string; readonly root: string };
  readonly stateDir: string | null;
  readonly deviceId: string | null;
  readonly summary: Readonly<Record<CheckStatus, number>>;
  /** True when no check failed. */
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
}

/** What to audit. */
export interface RunAuditOptions {
  /** Root of /proc, /sys, /etc… (default `/`, the real machine). */
  readonly root?: string;
  /** The agent's state directory (a real path; default `<root>/var/lib/edgeward`). */
  readonly stateDir?: string;
  readonly now?: Date;
  /** Source of the loaded nftables ruleset; default `nft -j list ruleset` on `/`, the stand-in file elsewhere. */
  readonly nftRuleset?: () => Promise<string | undefined>;
  /** The checks to run (default all). */
  readonly checks?: readonly Check[];
}

/** Runs the audit. EW_ERR_AUDIT_ROOT when the root is not a directory; EW_ERR_AUDIT_STATE for a bad state.json. */
export async function runAudit(options: RunAuditOptions = {}): Promise<AuditReport> {
  const host = new HostView(options.root ?? "/");
  if (!(await isDirectory(host.root))) throw new EdgewardError("EW_ERR_AUDIT_ROOT", { detail: host.root });
  const stateDirPath = options.stateDir ?? host.path(DEFAULT_STATE_DIR);
  const stateDir = (await isDirectory(stateDirPath)) ? new HostView(stateDirPath) : undefined;
  const stateText = await stateDir?.text("/state.json");
  const state: AuditState | undefined = stateText === undefined ? undefined : parseState(stateText);
  const ctx: AuditContext = {
    host,
    stateDir,
    state,
    now: options.now ?? new Date(),
    ...(options.nftRuleset === undefined
      ? defaultNftSource(host)
      : { nftRuleset: options.nftRuleset, nftRulesetSource: "supplied by the caller" }),
  };
  const checks: CheckResult[] = [];
  for (const check of options.checks ?? CHECKS) checks.push(await runOne(check, ctx));
  const summary = { pass: 0, fail: 0, warn: 0, "not-applicable": 0 };
  for (const c of checks) summary[c.status]++;
  return {
    version: REPORT_VERSION,
    tool: { name: "edgeward audit", version: "0.1.0" },
    generatedAt: ctx.now.toISOString(),
    host: { hostname: hostname(), root: host.root },
    stateDir: stateDir?.root ?? null,
    deviceId: state?.deviceId ?? null,
    summary,
    ok: summary.fail === 0,
    checks,
  };
}

async function runOne(check: Check, ctx: AuditContext): Promise<CheckResult> {
  const base = { id: check.id, title: check.title, promise: check.promise };
  try {
    const v = await check.run(ctx);
    const fix = v.status === "pass" || v.status === "not-applicable" ? "" : (v.fix ?? check.fix);
    return { ...base, status: v.status, evidence: v.evidence, fix };
  } catch (err) {
    const why = isEdgewardError(err) ? err.code : err instanceof Error ? err.name : "error";
    return { ...base, status: "fail", evidence: [`the check could not run: ${why}`], fix: check.fix };
  }
}

/**
 * The machine's loaded ruleset: on `/`, what the kernel holds now (`nft -j list ruleset`, in the audit's own
 * network namespace); under another root, only the captured file, never the auditing machine's own rules.
 */
function defaultNftSource(host: HostView): Pick<AuditContext, "nftRuleset" | "nftRulesetSource"> {
  if (!host.isRealRoot)
    return { nftRuleset: () => host.text(FAKE_NFT_RULESET), nftRulesetSource: host.path(FAKE_NFT_RULESET) };
  return {
    nftRuleset: () =>
      new Promise((resolve) =>
        execFile("nft", ["-j", "list", "ruleset"], { timeout: 5000 }, (err, stdout) =>
          resolve(err === null ? stdout : undefined),
        ),
      ),
    nftRulesetSource: "nft -j list ruleset",
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
