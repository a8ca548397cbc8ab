import type { Command } from "commander";
import { registerLog } from "./log.ts";
import { registerTpm } from "./tpm.ts";

/** A command module: adds itself to the program. */
export type RegisterCommand = (program: Command) => void;

/** Every command, in the order `edgeward --help` lists them. Add one line per new command file. */
export const COMMANDS: readonly RegisterCommand[] = [registerLog, registerTpm];
