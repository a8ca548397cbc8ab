import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { openTpmDevice, type TpmDevice } from "@edgeward/tpm";
import { registerTpmCounter } from "./tpm-counter.ts";
import { registerTpmEventlog } from "./tpm-eventlog.ts";
import { registerTpmExtend } from "./tpm-extend.ts";
import { registerTpmKeygen } from "./tpm-keygen.ts";
import { registerTpmQuote } from "./tpm-quote.ts";
import { registerTpmStatus } from "./tpm-status.ts";
import { registerTpmVerifyQuote } from "./tpm-verify-quote.ts";

/** Options every `edgeward tpm` subcommand shares (set on `tpm`, read with optsWithGlobals). */
export interface TpmGlobalOptions {
  tcti?: string;
  software?: boolean;
  keystore?: string;
}

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
  registerTpmEventlog(tpm);
}

/** The device the global options name. */
export function deviceFrom(cmd: Command): TpmDevice {
  const o = cmd.optsWithGlobals<TpmGlobalOptions>();
  return openTpmDevice({
    ...(o.tcti === undefined ? {} : { tcti: o.tcti }),
    ...(o.software === true ? { software: true } : {}),
    ...(o.keystore === undefined ? {} : { keystoreDir: o.keystore }),
  });
}

/** Parses a hex string (a nonce); EW_ERR_USAGE when it is not even-length hex of at most `max` bytes. */
export function parseHex(text: string, what: string, max = 64): Uint8Array {
  const t = text.replace(/^0x/i, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(t) || t.length / 2 > max)
    throw new EdgewardError("EW_ERR_USAGE", { detail: `${what} must be hex, at most ${max} bytes` });
  return new Uint8Array(Buffer.from(t, "hex"));
}

/** Parses an NV index (`0x01000e00` or decimal). */
export function parseIndex(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0x01000000 || n > 0x01ffffff)
    throw new EdgewardError("EW_ERR_USAGE", { detail: "--index must be an NV index 0x01000000-0x01ffffff" });
  return n;
}
