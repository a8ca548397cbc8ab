/**
 * The shape of one audit check and of its result (docs/audit.md). A check reads the host and the agent's state,
 * and says pass, fail, warn or not-applicable, with the evidence it read and what to do about a failure.
 */
import type { HostView } from "../host/host-view.ts";
import type { AuditState } from "../state/state.ts";

/** A check's verdict. */
export type CheckStatus = "pass" | "fail" | "warn" | "not-applicable";

/** What one check found. */
export interface CheckResult {
  /** Stable id (`promise-2-secure-boot`), used as the SARIF rule id. */
  readonly id: string;
  readonly title: string;
  /** The ARCHITECTURE.md promise it checks (1-10), or null for host hardening. */
  readonly promise: number | null;
  readonly status: CheckStatus;
  /** What was read, one fact per line (paths and values). */
  readonly evidence: readonly string[];
  /** What to do to make the check pass (empty when it passes). */
  readonly fix: string;
}

/** Everything a check may read. Time and the ruleset source are injected so tests need no clock or kernel. */
export interface AuditContext {
  readonly host: HostView;
  /** The agent's state directory as a view rooted at it (`/state.json`), or undefined when there is none. */
  readonly stateDir: HostView | undefined;
  /** The parsed state.json, or undefined when the directory or the file is missing. */
  readonly state: AuditState | undefined;
  readonly now: Date;
  /** The loaded nftables ruleset as `nft -j list ruleset` prints it, or undefined when it cannot be read. */
  readonly nftRuleset: () => Promise<string | undefined>;
  /** Where `nftRuleset` reads from, for the evidence (`nft -j list ruleset`, or the captured file's path). */
  readonly nftRulesetSource?: string;
}

/** One check. */
export interface Check {
  readonly id: string;
  readonly title: string;
  readonly promise: number | null;
  /** The remedy shown when the check fails or warns, unless the run gives a more specific one. */
  readonly fix: string;
  run(ctx: AuditContext): Verdict | Promise<Verdict>;
}

/** What a check's `run` returns; the runner adds id, title and promise. */
export interface Verdict {
  readonly status: CheckStatus;
  readonly evidence: readonly string[];
  /** Overrides the check's general fix. */
  readonly fix?: string;
}
