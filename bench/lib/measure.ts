// Shared measurement helpers for the benchmarks: medians, and wall time plus peak RSS of a whole child
// process as GNU time (Debian package `time`) reports them, so our side and the anchors are measured alike.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The median of `xs` (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs `cmd args` under /usr/bin/time; resolves with its stdout, wall seconds and peak RSS in bytes. */
export function peakRssOf(
  cmd: string,
  args: readonly string[],
): Promise<{ stdout: string; seconds: number; peakRss: number }> {
  const dir = mkdtempSync(join(tmpdir(), "edgeward-bench-"));
  const report = join(dir, "time.txt");
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/time", ["-o", report, "-f", "%e %M", cmd, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.on("error", reject);
    child.on("close", (status) => {
      try {
        if (status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${status}`);
        const [secs, kib] = readFileSync(report, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number);
        resolve({ stdout: Buffer.concat(out).toString("utf8"), seconds: secs!, peakRss: kib! * 1024 });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
