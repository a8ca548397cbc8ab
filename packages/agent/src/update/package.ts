/**
 * A `package` release (firmware, an agent update): verified like a model — TUF length and hash, the TPM floor, and
 * for a sealed one the key release with its inclusion proof and the decryption through the TPM — and only then
 * handed to the configured install command on its standard input, so a decrypted package never touches the disk.
 * The command's exit status is a decision in the device log (shipped to the hub with the next cycle).
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { EdgewardError } from "@edgeward/core";

/** Runs `argv` with `bytes` on stdin; resolves with its exit status (a signal counts as -1). */
export function runInstaller(argv: readonly string[], bytes: Uint8Array, timeoutMs = 600_000): Promise<number> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new EdgewardError("EW_ERR_AGENT_CONFIG", { detail: "installCommand" }));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["pipe", "ignore", "ignore"], timeout: timeoutMs });
    child.on("error", (err) =>
      reject(new EdgewardError("EW_ERR_AGENT_CONFIG", { detail: `installCommand ${file}`, cause: err })),
    );
    child.on("close", (code) => resolve(code ?? -1));
    child.stdin.on("error", () => undefined); // an installer that exits early must not crash the agent
    child.stdin.end(bytes);
  });
}

/** The bytes of an unsealed package's payload (its TUF hash was checked at download). */
export async function unsealedPackage(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: path, cause: err });
  }
}
