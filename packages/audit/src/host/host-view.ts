/**
 * The machine as the audit reads it: /proc, /sys, /etc, /dev and EFI variables under a root directory. `/` on a
 * device; a fake tree in tests (`edgeward audit --root PATH`), so every check is exercised for pass and fail
 * without changing the machine. Reads never throw for a missing or unreadable file: a check decides what
 * absence means.
 */
import type { Stats } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";

/** Read-only access to the files of a host, rooted at `root`. */
export class HostView {
  readonly root: string;

  constructor(root = "/") {
    this.root = resolve(root);
  }

  /** Whether `root` is the real machine (so host-wide tools such as `nft` describe it). */
  get isRealRoot(): boolean {
    return this.root === "/";
  }

  /** The real path of an absolute host path (`/proc/swaps` → `<root>/proc/swaps`). */
  path(hostPath: string): string {
    return join(this.root, hostPath);
  }

  /** A text file, or undefined when it is missing or unreadable. */
  async text(hostPath: string): Promise<string | undefined> {
    return (await this.bytes(hostPath))?.toString("utf8");
  }

  /** A file's bytes (at most `limit`), or undefined. */
  async bytes(hostPath: string, limit = 64 * 1024 * 1024): Promise<Buffer | undefined> {
    try {
      const b = await readFile(this.path(hostPath));
      return b.length > limit ? b.subarray(0, limit) : b;
    } catch {
      return undefined;
    }
  }

  /** Names in a directory (sorted), or [] when it is missing. */
  async list(hostPath: string): Promise<string[]> {
    try {
      return (await readdir(this.path(hostPath))).sort();
    } catch {
      return [];
    }
  }

  /** lstat of a path, or undefined. */
  async stat(hostPath: string): Promise<Stats | undefined> {
    try {
      return await lstat(this.path(hostPath));
    } catch {
      return undefined;
    }
  }

  /** Whether a path exists. */
  async exists(hostPath: string): Promise<boolean> {
    return (await this.stat(hostPath)) !== undefined;
  }
}
