// Shared plumbing of the `edgeward tpm` subcommands: the device the global options name and option parsers. Apart
// from tpm.ts, which registers the subcommands, so that no subcommand imports the file that imports it.
import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { openTpmDevice, type TpmDevice } from "@edgeward/tpm";

/** Options every `edgeward tpm` subcommand shares (set on `tpm`, read with optsWithGlobals). */
export interface TpmGlobalOptions {
  tcti?: string;
  software?: boolean;
  keystore?: string;
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
