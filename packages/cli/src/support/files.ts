import { randomBytes } from "node:crypto";
import { open, readFile, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { EdgewardError } from "@edgeward/core";

/** Reads a whole (small) file such as a key or a signature; a missing or unreadable file is EW_ERR_IO. */
export async function readSmallFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new EdgewardError("EW_ERR_IO", { detail: `cannot read ${what} ${path} (${errnoOf(err)})`, cause: err });
  }
}

/** Opens a file for reading; a missing or unreadable file is EW_ERR_IO naming the path. */
export async function openForRead(path: string, what: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (err) {
    throw new EdgewardError("EW_ERR_IO", { detail: `cannot open ${what} ${path} (${errnoOf(err)})`, cause: err });
  }
}

/**
 * Writes `path` atomically: `produce` writes into a temporary file beside it, which is renamed over `path`
 * only after `produce` resolved. On any failure the temporary file is removed, so a failed command leaves no
 * output file behind (issue 2: "a failed open leaves no output file").
 *
 * `durable` also fsyncs the file before the rename, so it survives a power cut once the command reported
 * success. Keys get it (small, and losing a new private key is costly); bulk outputs such as sealed and opened
 * models do not, like `age`, `cp` and `openssl`: an fsync of a 1 GiB model doubled `edgeward seal`'s time here,
 * and a model can be sealed or opened again.
 */
export async function writeAtomically(
  path: string,
  produce: (out: FileHandle) => Promise<unknown>,
  mode = 0o644,
  durable = false,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let out: FileHandle;
  try {
    out = await open(tmp, "wx", mode);
  } catch (err) {
    throw new EdgewardError("EW_ERR_IO", { detail: `cannot create ${path} (${errnoOf(err)})`, cause: err });
  }
  try {
    await produce(out);
    if (durable) await out.sync();
    await out.close();
    await rename(tmp, path);
  } catch (err) {
    await out.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Writes a small text file (a key, a signature) atomically and durably with `mode` (0600 for private keys). */
export async function writeTextAtomically(path: string, text: string, mode = 0o644): Promise<void> {
  await writeAtomically(path, async (out) => void (await out.writeFile(text)), mode, true);
}

function errnoOf(err: unknown): string {
  return err instanceof Error && "code" in err ? String(err.code) : "error";
}
