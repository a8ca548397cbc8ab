import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { EdgewardError } from "@edgeward/core";

/**
 * Writes `text` to `path` atomically: a new temporary file beside it (O_EXCL, created with `mode`), fsynced, then
 * renamed over the target and the directory fsynced, so a crash leaves either the old file or the whole new one.
 * Secret files are written with mode 0600 from their first byte (never chmod after the fact).
 */
export async function writeFileAtomic(path: string, text: string, mode: number): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const file = await open(tmp, "wx", mode);
    try {
      await file.writeFile(text, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
    const d = await open(dir, "r");
    await d.sync().finally(() => d.close());
  } catch (err) {
    await rm(tmp, { force: true });
    throw new EdgewardError("EW_ERR_IO", { detail: `cannot write ${path}`, cause: err });
  }
}

/** Reads a hub file; a missing or unreadable one is EW_ERR_HUB_DIR_INVALID naming it. */
export async function readHubFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new EdgewardError("EW_ERR_HUB_DIR_INVALID", { detail: `cannot read ${path}`, cause: err });
  }
}

/** The paths among `paths` that exist. */
export function existing(paths: readonly string[]): string[] {
  return paths.filter((p) => existsSync(p));
}
