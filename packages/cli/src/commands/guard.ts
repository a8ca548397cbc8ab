import type { Command } from "commander";
import { registerGuardCalibrate } from "./guard-calibrate.ts";
import { registerGuardCheck } from "./guard-check.ts";

/**
 * `edgeward guard`: the inference guard (ARCHITECTURE.md, promise 8; docs/guard.md): calibrate a guard file on
 * clean held-out data, and check inputs against one.
 */
export function registerGuard(program: Command): void {
  const guard = program
    .command("guard")
    .description("inference guard: calibrate a guard file on clean data at a target false-positive rate; check inputs");
  registerGuardCalibrate(guard);
  registerGuardCheck(guard);
}
