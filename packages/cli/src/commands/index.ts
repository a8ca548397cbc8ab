import type { Command } from "commander";
import { registerDemo } from "./demo.ts";
import { registerInspect } from "./inspect.ts";
import { registerKeygen } from "./keygen.ts";
import { registerLog } from "./log.ts";
import { registerOpen } from "./open.ts";
import { registerRun } from "./run.ts";
import { registerSeal } from "./seal.ts";
import { registerSignKeygen } from "./sign-keygen.ts";
import { registerTpm } from "./tpm.ts";
import { registerVerify } from "./verify.ts";

/** A command module: adds itself to the program. */
export type RegisterCommand = (program: Command) => void;

/** Every command, in the order `edgeward --help` lists them. Add one line per new command file. */
export const COMMANDS: readonly RegisterCommand[] = [
  registerDemo,
  registerKeygen,
  registerSignKeygen,
  registerSeal,
  registerOpen,
  registerVerify,
  registerInspect,
  registerRun,
  registerLog,
  registerTpm,
];
