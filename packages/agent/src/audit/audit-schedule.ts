/**
 * The daily audit (docs/audit.md: "The agent runs it daily and sends the JSON report to the hub, which keeps the
 * latest per device"; ARCHITECTURE.md "The flows" 7). The audit itself is injected (the CLI passes
 * `@edgeward/audit`'s runAudit over the agent's state directory), and so is the timer, so tests never sleep.
 * A run or a send that fails is logged and tried again at the next tick; it never stops the agent.
 */
import { isEdgewardError } from "@edgeward/core";

/** A timer the schedule arms; the default is setTimeout, unref'd so it never holds the process open. */
export interface AuditTimer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Options of {@link AuditSchedule}. */
export interface AuditScheduleOptions {
  /** Runs the audit and returns its JSON report (the `AuditReport` object). */
  readonly run: () => Promise<object>;
  /** Sends the report to the hub (POST /v1/device/audit). */
  readonly send: (report: Record<string, unknown>) => Promise<void>;
  readonly intervalMs: number;
  readonly timer?: AuditTimer;
  readonly say?: (line: string) => void;
}

const REAL_TIMER: AuditTimer = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Runs the audit every `intervalMs` and sends each report; {@link tick} runs one round now. */
export class AuditSchedule {
  readonly #o: AuditScheduleOptions;
  readonly #timer: AuditTimer;
  #handle: unknown;
  #running: Promise<boolean> | undefined;
  #stopped = false;

  constructor(options: AuditScheduleOptions) {
    this.#o = options;
    this.#timer = options.timer ?? REAL_TIMER;
  }

  /** Arms the first run after `firstMs` (default: one interval). */
  start(firstMs = this.#o.intervalMs): void {
    this.#arm(firstMs);
  }

  /** One round: run, send; true when the hub took the report, false when either failed (logged by code). */
  async tick(): Promise<boolean> {
    try {
      const report = (await this.#o.run()) as Record<string, unknown>;
      await this.#o.send(report);
      this.#o.say?.("audit report sent to the hub");
      return true;
    } catch (err) {
      const code = isEdgewardError(err) ? err.code : "EW_ERR_INTERNAL";
      this.#o.say?.(`audit: ${code}${isEdgewardError(err) && err.detail ? ` (${err.detail})` : ""}; retried next time`);
      return false;
    }
  }

  /** Resolves once the round a timer started (if any) is over. */
  async settled(): Promise<void> {
    await this.#running;
  }

  /** Stops the schedule and waits for a round in flight. */
  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#handle !== undefined) this.#timer.clear(this.#handle);
    await this.#running;
  }

  #arm(ms: number): void {
    if (this.#stopped) return;
    this.#handle = this.#timer.set(() => {
      this.#handle = undefined;
      this.#running = this.tick().finally(() => this.#arm(this.#o.intervalMs));
    }, ms);
  }
}
