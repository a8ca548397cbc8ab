/**
 * The fleet demo's verdict (README "Quick start"): the demo is complete only when every attack scenario showed its
 * refusal and the disk scan found no plaintext fragment. Kept apart from the run so the decision is testable without
 * starting a fleet.
 */
import { EdgewardError } from "@edgeward/core";
import type { Outcome } from "./scenarios.ts";

/** The code an outcome carries when its scenario threw before showing a refusal. */
export const NOT_SHOWN = "not shown";

/** The outcome of a scenario that threw; its hub line says why (the error's message, cut to 200 characters). */
export function notShown(scenario: string, err: unknown): Outcome {
  return {
    scenario,
    device: "-",
    code: NOT_SHOWN,
    hub: err instanceof Error ? err.message.slice(0, 200) : String(err),
  };
}

/**
 * EW_ERR_DEMO_INCOMPLETE naming the scenarios not shown and the files holding plaintext, or undefined when every
 * scenario was shown and `hits` (the scan's files holding a fragment of the model or the input) is empty.
 */
export function demoIncomplete(outcomes: readonly Outcome[], hits: readonly string[]): EdgewardError | undefined {
  const missing = outcomes.filter((o) => o.code === NOT_SHOWN).map((o) => o.scenario);
  if (missing.length === 0 && hits.length === 0) return undefined;
  return new EdgewardError("EW_ERR_DEMO_INCOMPLETE", {
    detail: `not shown: ${missing.join(", ") || "none"}; plaintext in: ${hits.join(", ") || "none"}`,
  });
}
