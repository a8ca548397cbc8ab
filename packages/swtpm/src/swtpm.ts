/**
 * A real TPM for tests: swtpm (libtpms) in its own temporary directory, reached by tpm2-tools through
 * TPM2TOOLS_TCTI=swtpm:path=… (ARCHITECTURE.md machine notes). Every instance is killed when disposed, and any left
 * running when the test process exits is killed then, so a failing test never leaks a TPM.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { provisionedTemplate, provisionState } from "./swtpm-provision.ts";

const run = promisify(execFile);

/** A running software TPM. */
export interface Swtpm extends AsyncDisposable {
  /** The state directory (the TPM's NV: seeds, persistent objects, NV indices). */
  readonly dir: string;
  /** The TCTI string for tpm2-tools (`swtpm:path=DIR/tpm.sock`). */
  readonly tcti: string;
  /** Environment for child processes: `{ TPM2TOOLS_TCTI }`. */
  readonly env: { readonly TPM2TOOLS_TCTI: string };
  /** True when the state holds EK certificates signed by this run's local CA. */
  readonly ekCertificates: boolean;
  /** Restarts swtpm on the same state: PCRs reset, NV and keys survive (a reboot). */
  reboot(): Promise<void>;
  /** Stops swtpm and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Options for {@link startSwtpm}. */
export interface StartSwtpmOptions {
  /**
   * EK certificates from `swtpm_setup --create-ek-cert --create-platform-cert`:
   * - "copy": a copy of one provisioned state made once per test process (fast, but copies share their seeds:
   *   they are one TPM, so use them where only the certificate matters);
   * - "unique": `swtpm_setup` for this instance (~1-2 s), a distinct TPM with its own EKs and certificates.
   * Without it the TPM is manufactured fresh on first start: distinct seeds, no EK persisted, no certificate.
   */
  readonly ekCert?: "copy" | "unique";
}

const running = new Set<ChildProcess>();
const dirs = new Set<string>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** True when swtpm and tpm2-tools are installed. */
export function swtpmAvailable(): boolean {
  return ["/usr/bin/swtpm", "/usr/bin/swtpm_setup", "/usr/bin/tpm2_startup"].every((p) => existsSync(p));
}

/** Starts one swtpm in a fresh temporary directory and waits until it answers. */
export async function startSwtpm(options: StartSwtpmOptions = {}): Promise<Swtpm> {
  // Tests never skip for want of a TPM: a missing install step must fail, not hide (README, Quick start).
  if (!swtpmAvailable()) throw new Error("swtpm and tpm2-tools are not installed; run `npm run setup` as root");
  const dir = mkdtempSync(join(tmpdir(), "edgeward-swtpm-"));
  dirs.add(dir);
  try {
    if (options.ekCert === "copy") cpSync(await provisionedTemplate(), dir, { recursive: true });
    else if (options.ekCert === "unique") await provisionState(dir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
    throw err;
  }
  const sock = join(dir, "tpm.sock");
  const tcti = `swtpm:path=${sock}`;
  let child: ChildProcess | undefined = await launch(dir);
  let stopped = false;

  const halt = async (): Promise<void> => {
    if (child === undefined) return;
    const c = child;
    child = undefined;
    // An orderly TPM2_Shutdown first, so the next start is a clean reboot; ignore failures (the TPM may be wedged).
    await run("tpm2_shutdown", ["-c"], { env: { ...process.env, TPM2TOOLS_TCTI: tcti }, timeout: 10_000 }).catch(
      () => undefined,
    );
    await kill(c);
  };

  const tpm: Swtpm = {
    dir,
    tcti,
    env: { TPM2TOOLS_TCTI: tcti },
    ekCertificates: options.ekCert !== undefined,
    async reboot() {
      if (stopped) throw new Error("swtpm was stopped");
      await halt();
      child = await launch(dir);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt();
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
    [Symbol.asyncDispose]() {
      return tpm.stop();
    },
  };
  return tpm;
}

/** Starts `n` distinct TPMs in parallel; disposing the fleet stops them all. */
export async function startSwtpmFleet(
  n: number,
  options: { readonly ekCert?: boolean } = {},
): Promise<Swtpm[] & AsyncDisposable> {
  const settled = await Promise.allSettled(
    Array.from({ length: n }, () => startSwtpm(options.ekCert ? { ekCert: "unique" } : {})),
  );
  const started = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = settled.find((s) => s.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(started.map((t) => t.stop()));
    throw failed.reason;
  }
  return Object.assign(started, {
    async [Symbol.asyncDispose]() {
      await Promise.all(started.map((t) => t.stop()));
    },
  });
}

/** Spawns swtpm on `dir` and resolves once its server socket accepts a connection. */
async function launch(dir: string): Promise<ChildProcess> {
  const sock = join(dir, "tpm.sock");
  rmSync(sock, { force: true });
  rmSync(`${sock}.ctrl`, { force: true });
  const child = spawn(
    "swtpm",
    [
      "socket",
      "--tpm2",
      "--server",
      `type=unixio,path=${sock}`,
      "--ctrl",
      `type=unixio,path=${sock}.ctrl`,
      "--tpmstate",
      `dir=${dir}`,
      "--flags",
      "not-need-init,startup-clear",
      "--log",
      `file=${join(dir, "swtpm.log")}`,
    ],
    { stdio: "ignore" },
  );
  running.add(child);
  child.once("exit", () => running.delete(child));
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) =>
      reject(new Error(`swtpm exited with ${code} before it was ready (see ${dir}/swtpm.log)`)),
    ),
  );
  exited.catch(() => undefined);
  // Readiness is a successful connection, not a fixed sleep: generous on a loaded machine.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (await canConnect(sock)) return child;
    if (child.exitCode !== null) await exited;
    if (Date.now() > deadline) {
      await kill(child);
      throw new Error(`swtpm did not open ${sock} within 30 s`);
    }
    await Promise.race([new Promise((r) => setTimeout(r, 20)), exited]);
  }
}

function canConnect(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
