import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A throwaway PostgreSQL server owned by one test file. */
export interface PostgresServer {
  /**
   * Connection URL for the `postgres` superuser, 127.0.0.1 only: trust authentication, or with `password` given,
   * SCRAM-SHA-256 and the password in the URL's userinfo.
   */
  readonly url: string;
  readonly port: number;
  /** Stops the server (immediate shutdown) and removes its directory. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a fresh PostgreSQL (the newest under /usr/lib/postgresql/<version>/bin) in a temporary directory: initdb as
 * the `postgres` user (initdb refuses to run as root), then pg_ctl start on a free port listening on 127.0.0.1 and
 * a socket in that directory. Throws with a clear message when PostgreSQL is not installed or does not start, so
 * tests that need it fail instead of silently skipping. `settings` are extra `-c name=value` server options;
 * `password` makes every connection authenticate with it (initdb -A scram-sha-256 --pwfile).
 */
export async function startPostgres(
  settings: Record<string, string> = {},
  options: { readonly password?: string } = {},
): Promise<PostgresServer> {
  const bin = findBinDir();
  const dir = mkdtempSync(join(tmpdir(), "edgeward-pg-"));
  const asRoot = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]): Promise<unknown> =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args]) : run(join(bin, cmd), args);
  try {
    if (asRoot) chownSync(dir, postgresUid(), postgresGid());
    const auth = ["-A", "trust"];
    if (options.password !== undefined) {
      const pwfile = join(dir, "pwfile");
      writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
      if (asRoot) chownSync(pwfile, postgresUid(), postgresGid());
      auth.splice(0, 2, "-A", "scram-sha-256", `--pwfile=${pwfile}`);
    }
    await as("initdb", ["-D", join(dir, "data"), ...auth, "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    const port = await freePort();
    const opts = [
      `-k ${dir}`,
      `-p ${port}`,
      "-c listen_addresses=127.0.0.1",
      ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
    ];
    await as("pg_ctl", [
      "-D",
      join(dir, "data"),
      "-o",
      opts.join(" "),
      "-l",
      join(dir, "server.log"),
      "-w",
      "-t",
      "60",
      "start",
    ]);
    const stop = async (): Promise<void> => {
      await as("pg_ctl", ["-D", join(dir, "data"), "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    };
    const user = options.password === undefined ? "postgres" : `postgres:${encodeURIComponent(options.password)}`;
    return { url: `postgres://${user}@127.0.0.1:${port}/postgres`, port, stop, [Symbol.asyncDispose]: stop };
  } catch (err) {
    const log = existsSync(join(dir, "server.log")) ? readFileSync(join(dir, "server.log"), "utf8").slice(-2000) : "";
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `PostgreSQL could not be started from ${bin} (needed by this test; install postgresql): ${String(err)}\n${log}`,
      {
        cause: err,
      },
    );
  }
}

function findBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] === undefined)
    throw new Error(
      "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run `apt-get install -y postgresql`",
    );
  return join(root, versions[0], "bin");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr !== null ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function postgresUid(): number {
  return idOf(1);
}

function postgresGid(): number {
  return idOf(2);
}

/** Field of the `postgres` user's /etc/passwd line (2 = uid, 3 = gid; index shifted by one for the name). */
function idOf(field: 1 | 2): number {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  const value = Number(line?.split(":")[field + 1]);
  if (!Number.isInteger(value)) throw new Error(`no postgres user on this machine (running as ${userInfo().username})`);
  return value;
}
