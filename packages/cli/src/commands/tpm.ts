import type { Command } from "commander";
import { registerTpmCounter } from "./tpm-counter.ts";
import { registerTpmExtend } from "./tpm-extend.ts";
import { registerTpmKeygen } from "./tpm-keygen.ts";
import { registerTpmQuote } from "./tpm-quote.ts";
import { registerTpmStatus } from "./tpm-status.ts";
import { registerTpmVerifyQuote } from "./tpm-verify-quote.ts";

/**
 * `edgeward tpm`: the device's TPM (ARCHITECTURE.md promise 1; docs/tpm.md): keys bound to this TPM and its boot
 * state, quotes and their in-process verification, PCR extends and the version-floor counter.
 */
export function registerTpm(program: Command): void {
  const tpm = program
    .command("tpm")
    .description("the TPM: status, PCR-bound decryption keys, quotes and their verification, PCR extend, NV counter")
    .option("--tcti <tcti>", "TPM connection for tpm2-tools (default: $TPM2TOOLS_TCTI, else device:/dev/tpmrm0)")
    .option("--software", "use the software keystore (NOT hardware-backed) instead of a TPM")
    .option("--keystore <dir>", "the software keystore's directory (default: $EDGEWARD_KEYSTORE_DIR)");
  registerTpmStatus(tpm);
  registerTpmKeygen(tpm);
  registerTpmQuote(tpm);
  registerTpmVerifyQuote(tpm);
  registerTpmExtend(tpm);
  registerTpmCounter(tpm);
}
