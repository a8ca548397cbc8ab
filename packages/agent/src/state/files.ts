/**
 * Writing and reading the state directory: every file is written whole (temporary file, fsync, rename) with mode
 * 0600 in a 0700 directory, never through a symbolic link, so a crash leaves the old file or the new one and another
 * local user reads nothing.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { EdgewardError } from "@edgeward/core";

/** The most a state JSON file may hold (they are small; a larger one is not ours). */
const MAX_STATE_FILE = 4 * 1024 * 1024;

/** Creates `dir` (and parents) with mode 0700; refuses a symbolic link or a non-directory in its place. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: `${dir} is not a directory` });
}

/**
 * Writes `data` to `path` atomically with mode 0600. With `sync: false` the data is not flushed before the rename
 * (a crash may then leave an empty file under the new name): for a file the caller makes durable later, with
 * {@link syncFiles}, before anything depends on it.
 */
export async function writePrivateFile(
  path: string,
  data: Uint8Array | string,
  options: { readonly sync?: boolean } = {},
): Promise<void> {
  await ensurePrivateDir(dirname(path));
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    // O_EXCL|O_NOFOLLOW: the temporary name is fresh and never a link someone planted.
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await fh.writeFile(data);
      if (options.sync !== false) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new EdgewardError("EW_ERR_IO", { detail: path, cause: err });
  }
}

/**
 * Flushes the files at `paths` and then the directory `dir` that names them (fsync(2) each), so their contents and
 * their names survive a power loss; EW_ERR_IO when one cannot be opened or flushed.
 */
export async function syncFiles(paths: readonly string[], dir: string): Promise<void> {
  for (const path of [...paths, dir]) {
    try {
      const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw new EdgewardError("EW_ERR_IO", { detail: `flushing ${path}`, cause: err });
    }
  }
}

/** Writes `value` as JSON (see {@link writePrivateFile}). */
export function writeJson(path: string, value: unknown): Promise<void> {
  return writePrivateFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads a JSON state file; undefined when it does not exist, EW_ERR_AGENT_STATE when it is not JSON. */
export async function readJson(path: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size > MAX_STATE_FILE)
        throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: `${path} is not a state file` });
      bytes = await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if (err instanceof EdgewardError) throw err;
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: path, cause: err });
  }
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch (err) {
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: `${path} is not JSON`, cause: err });
  }
}

/** Reads a small text file (a PEM); undefined when absent. */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: path, cause: err });
  }
}
