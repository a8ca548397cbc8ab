/** Choosing the device: the TPM when there is one, the software keystore only when allowed (and then loudly). */
import { homedir } from "node:os";
import { join } from "node:path";
import { EdgewardError } from "@edgeward/core";
import type { TpmDevice } from "./device.ts";
import { SoftwareKeystore } from "./software/keystore.ts";
import { Tpm2ToolsDevice } from "./tools/driver.ts";

/** Options for {@link openTpmDevice}. */
export interface OpenTpmOptions {
  /** TCTI for tpm2-tools (default `TPM2TOOLS_TCTI`, else `device:/dev/tpmrm0`). */
  readonly tcti?: string;
  /** Use the software keystore when no TPM is present (default false: no TPM is an error). */
  readonly allowSoftware?: boolean;
  /** Force the software keystore even when a TPM is present. */
  readonly software?: boolean;
  /** The software keystore's directory (default {@link defaultKeystoreDir}). */
  readonly keystoreDir?: string;
}

/** `EDGEWARD_KEYSTORE_DIR`, else `$XDG_DATA_HOME/edgeward/keystore` (`~/.local/share/edgeward/keystore`). */
export function defaultKeystoreDir(): string {
  const env = process.env["EDGEWARD_KEYSTORE_DIR"];
  if (env !== undefined && env !== "") return env;
  const data = process.env["XDG_DATA_HOME"] ?? join(homedir(), ".local", "share");
  return join(data, "edgeward", "keystore");
}

/** Opens the device: tpm2-tools when a TPM is configured or present, else the software keystore if allowed. */
export function openTpmDevice(options: OpenTpmOptions = {}): TpmDevice {
  if (options.software === true) return new SoftwareKeystore(options.keystoreDir ?? defaultKeystoreDir());
  const tcti = options.tcti ?? process.env["TPM2TOOLS_TCTI"];
  if (Tpm2ToolsDevice.present(tcti)) return new Tpm2ToolsDevice(tcti === undefined ? {} : { tcti });
  if (options.allowSoftware === true) return new SoftwareKeystore(options.keystoreDir ?? defaultKeystoreDir());
  throw new EdgewardError("EW_ERR_TPM_UNAVAILABLE", { detail: "no /dev/tpmrm0 and no TPM2TOOLS_TCTI" });
}
