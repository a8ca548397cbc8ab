/**
 * Headless Chromium (Debian `chromium`) for the HTML report's tests: each call uses a fresh profile directory and
 * flags that keep the browser off the network and its updaters quiet.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Runs chromium on `url` with `extra` flags; returns stdout. */
export async function chromium(url: string, extra: readonly string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "edgeward-chromium-"));
  try {
    const { stdout } = await run("chromium", [...FLAGS, `--user-data-dir=${profile}`, ...extra, url], {
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
