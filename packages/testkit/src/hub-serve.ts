// Starts `edgeward hub serve` as a real process and waits for the address it prints.
import { spawn, type ChildProcess } from "node:child_process";
import { CLI_BIN } from "./cli.ts";

/** A running `edgeward hub serve` process. */
export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM, then the exit status. */
  stop(): Promise<number | null>;
}

/** Runs `edgeward hub serve ARGS` and resolves once it prints `{"listening": url}`. */
export function startServe(args: readonly string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI_BIN, "hub", "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hub serve did not start: ${err}`));
    }, 30_000);
    child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString("utf8");
      const m = /\{"listening":"([^"]+)"\}/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      resolve({
        url: m[1]!,
        child,
        stop: () => {
          child.kill("SIGTERM");
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hub serve exited with ${code}: ${err}`));
    });
  });
}
