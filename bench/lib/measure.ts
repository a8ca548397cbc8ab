// Shared measurement helpers for the benchmarks: medians, and wall time, CPU time and peak RSS of a whole child
// process as GNU time (Debian package `time`) reports them, so our side and the anchors are measured alike. CPU
// seconds sit beside wall seconds so that a result taken on a loaded machine can be told apart.
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

/** What one measured child process cost. */
export interface ProcessCost {
  readonly stdout: string;
  /** Wall-clock seconds, from spawn to exit (measured here, to the microsecond). */
  readonly seconds: number;
  /** User plus system CPU seconds of the process and its children (GNU time %U + %S, 10 ms resolution). */
  readonly cpuSeconds: number;
  /** Peak resident set in bytes (GNU time %M). */
  readonly peakRss: number;
}

/** Runs `cmd args` under /usr/bin/time; resolves with its stdout, wall and CPU seconds and peak RSS in bytes. */
export function peakRssOf(cmd: string, args: readonly string[]): Promise<ProcessCost> {
  const dir = mkdtempSync(join(tmpdir(), "edgeward-bench-"));
  const report = join(dir, "time.txt");
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn("/usr/bin/time", ["-o", report, "-f", "%M %U %S", cmd, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.on("error", reject);
    child.on("close", (status) => {
      try {
        if (status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${status}`);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const [kib, user, sys] = readFileSync(report, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number);
        resolve({
          stdout: Buffer.concat(out).toString("utf8"),
          seconds,
          cpuSeconds: user! + sys!,
          peakRss: kib! * 1024,
        });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** Wall seconds, CPU seconds and peak RSS (MiB) of each run of one command. */
export interface Samples {
  readonly wall: number[];
  readonly cpu: number[];
  readonly rss: number[];
}

/**
 * Runs every command of `cases` once to warm caches (Node's compile cache), then `runs` rounds, each command
 * once per round, in forward then reverse order, so a change in the machine's load falls on all of them alike.
 */
export async function interleaved(
  cases: Readonly<Record<string, readonly [string, readonly string[]]>>,
  runs: number,
): Promise<Record<string, Samples>> {
  for (const [cmd, args] of Object.values(cases)) await peakRssOf(cmd, args);
  const samples: Record<string, Samples> = {};
  for (let i = 0; i < runs; i++) {
    const names = Object.keys(cases);
    for (const name of i % 2 === 0 ? names : names.reverse()) {
      const [cmd, args] = cases[name]!;
      const r = await peakRssOf(cmd, args);
      const s = (samples[name] ??= { wall: [], cpu: [], rss: [] });
      s.wall.push(r.seconds);
      s.cpu.push(r.cpuSeconds);
      s.rss.push(r.peakRss / 2 ** 20);
    }
  }
  return samples;
}
