import type { Command } from "commander";

/** A command module: adds itself to the program. */
export type RegisterCommand = (program: Command) => void;

/**
 * Every command, in the order `edgeward --help` lists them, each loaded on demand: `edgeward seal` loads only the
 * seal command and what it needs, not ONNX Runtime, the TPM driver or PostgreSQL's client (start-up was a
 * quarter of a second and ~40 MB with every command loaded). A command with many subcommands may take `sub`, the
 * word after its name, and load only that subcommand. Add one line per new command file.
 */
export const COMMANDS: Readonly<Record<string, (sub?: string) => Promise<RegisterCommand>>> = {
  demo: async () => (await import("./demo.ts")).registerDemo,
  keygen: async () => (await import("./keygen.ts")).registerKeygen,
  "sign-keygen": async () => (await import("./sign-keygen.ts")).registerSignKeygen,
  seal: async () => (await import("./seal.ts")).registerSeal,
  open: async () => (await import("./open.ts")).registerOpen,
  verify: async () => (await import("./verify.ts")).registerVerify,
  inspect: async () => (await import("./inspect.ts")).registerInspect,
  run: async () => (await import("./run.ts")).registerRun,
  log: async (sub) => (await import("./log.ts")).loadLog(sub),
  tpm: async (sub) => (await import("./tpm.ts")).loadTpm(sub),
  egress: async () => (await import("./egress.ts")).registerEgress,
  audit: async () => (await import("./audit.ts")).registerAudit,
  agent: async () => (await import("./agent.ts")).registerAgent,
  hub: async () => (await import("./hub.ts")).registerHub,
  model: async () => (await import("./model.ts")).registerModel,
  guard: async () => (await import("./guard.ts")).registerGuard,
};
