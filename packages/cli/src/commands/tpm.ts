import { loadSubcommands, type SubcommandTable } from "../support/subcommands.ts";
import type { RegisterCommand } from "./index.ts";

/**
 * The `tpm` subcommands, each loaded on demand: `edgeward tpm eventlog` parses a file and needs neither the TPM
 * driver nor the quote verifier, so it does not load them.
 */
const SUBCOMMANDS: SubcommandTable = {
  status: async () => (await import("./tpm-status.ts")).registerTpmStatus,
  keygen: async () => (await import("./tpm-keygen.ts")).registerTpmKeygen,
  quote: async () => (await import("./tpm-quote.ts")).registerTpmQuote,
  "verify-quote": async () => (await import("./tpm-verify-quote.ts")).registerTpmVerifyQuote,
  extend: async () => (await import("./tpm-extend.ts")).registerTpmExtend,
  counter: async () => (await import("./tpm-counter.ts")).registerTpmCounter,
  eventlog: async () => (await import("./tpm-eventlog.ts")).registerTpmEventlog,
};

/**
 * `edgeward tpm`: the device's TPM (ARCHITECTURE.md promise 1; docs/tpm.md): keys bound to this TPM and its boot
 * state, quotes and their in-process verification, PCR extends and the version-floor counter. With `sub` naming a
 * subcommand only that one is loaded; otherwise (`edgeward tpm --help`, an unknown name) all of them are.
 */
export async function loadTpm(sub?: string): Promise<RegisterCommand> {
  const registers = await loadSubcommands(SUBCOMMANDS, sub);
  return (program) => {
    const tpm = program
      .command("tpm")
      .description("the TPM: status, PCR-bound decryption keys, quotes and their verification, PCR extend, NV counter")
      .option("--tcti <tcti>", "TPM connection for tpm2-tools (default: $TPM2TOOLS_TCTI, else device:/dev/tpmrm0)")
      .option("--software", "use the software keystore (NOT hardware-backed) instead of a TPM")
      .option("--keystore <dir>", "the software keystore's directory (default: $EDGEWARD_KEYSTORE_DIR)");
    for (const register of registers) register(tpm);
  };
}
