import { EdgewardError, isEdgewardError } from "@edgeward/core";
import { prepareOutput, type OutputFile } from "@edgeward/io";

/**
 * Checks where a command that makes a private key will write it: 0600, fsynced, and never over an existing file
 * or link unless `--force` was given (age-keygen refuses too): a lost TPM key file makes every model sealed to
 * that device unopenable. The refusal names the flag, which the library cannot. `mode` 0644 is for the public
 * half of a pair, which is not replaced alone either.
 */
export async function prepareKeyOutput(
  path: string,
  what: string,
  force: boolean | undefined,
  mode = 0o600,
): Promise<OutputFile> {
  try {
    return await prepareOutput(path, { what, mode, durable: true, noClobber: force !== true });
  } catch (err) {
    if (isEdgewardError(err, "EW_ERR_OUTPUT_EXISTS"))
      throw new EdgewardError("EW_ERR_OUTPUT_EXISTS", { detail: `${path} exists; --force replaces it` });
    throw err;
  }
}
