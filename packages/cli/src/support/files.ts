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
 */
export async function writeAtomically(
  path: string,
  produce: (out: FileHandle) => Promise<unknown>,
  mode = 0o644,
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
    await out.sync();
    await out.close();
    await rename(tmp, path);
  } catch (err) {
    await out.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Writes a small text file atomically with `mode` (0600 for private keys). */
export async function writeTextAtomically(path: string, text: string, mode = 0o644): Promise<void> {
  await writeAtomically(path, async (out) => void (await out.writeFile(text)), mode);
}

function errnoOf(err: unknown): string {
  return err instanceof Error && "code" in err ? String(err.code) : "error";
}
