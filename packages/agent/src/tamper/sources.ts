/**
 * Tamper sources (ARCHITECTURE.md promise 9): each is polled and says whether it has tripped. Linux exposes the
 * hardware as files: a GPIO line or a case switch as a sysfs value file (`/sys/class/gpio/gpioN/value`, Linux
 * Documentation/admin-guide/gpio/sysfs.rst), an accelerometer as IIO raw axis files (`in_accel_x_raw` …, Linux
 * Documentation/ABI/testing/sysfs-bus-iio), so tests drive them with a fake sysfs tree in a temporary directory.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { EdgewardError } from "@edgeward/core";

/** What a tripped source reports. */
export interface TamperReading {
  readonly source: string;
  readonly details: string;
}

/** One polled tamper source. */
export interface TamperSource {
  readonly name: string;
  readonly kind: "value-file" | "accelerometer" | "command" | "manual";
  /** Undefined while all is well; a reading once tripped. Throws EW_ERR_AGENT_TAMPER_SOURCE when unreadable. */
  poll(): Promise<TamperReading | undefined>;
}

/** A sysfs-style value file (a GPIO line, a case switch): tripped when its value differs from `normal`. */
export function valueFileSource(name: string, path: string, normal: string): TamperSource {
  return {
    name,
    kind: "value-file",
    async poll() {
      const value = (await readSource(name, path)).trim();
      return value === normal ? undefined : { source: name, details: `${path} reads ${value}, expected ${normal}` };
    },
  };
}

/**
 * An IIO accelerometer: the raw x, y and z axes against the first reading (the device at rest). Tripped when the
 * change on any axis exceeds `threshold` raw units (the device was moved, tilted or dropped).
 */
export function accelerometerSource(name: string, deviceDir: string, threshold: number): TamperSource {
  let baseline: number[] | undefined;
  return {
    name,
    kind: "accelerometer",
    async poll() {
      const axes = await Promise.all(
        ["x", "y", "z"].map(async (a) => {
          const text = (await readSource(name, join(deviceDir, `in_accel_${a}_raw`))).trim();
          if (!/^-?\d{1,12}$/.test(text))
            throw new EdgewardError("EW_ERR_AGENT_TAMPER_SOURCE", { detail: `${name}: axis ${a} reads ${text}` });
          return Number(text);
        }),
      );
      if (baseline === undefined) {
        baseline = axes;
        return undefined;
      }
      const moved = axes.map((v, i) => Math.abs(v - (baseline?.[i] ?? v)));
      const worst = Math.max(...moved);
      return worst > threshold
        ? { source: name, details: `acceleration changed by ${worst} raw units (threshold ${threshold})` }
        : undefined;
    },
  };
}

/** A command (a vendor's intrusion check): tripped when it exits non-zero or does not finish within `timeoutMs`. */
export function commandSource(name: string, argv: readonly string[], timeoutMs = 5_000): TamperSource {
  const [file, ...args] = argv;
  if (file === undefined) throw new EdgewardError("EW_ERR_AGENT_CONFIG", { detail: `${name}: empty command` });
  return {
    name,
    kind: "command",
    poll() {
      return new Promise((resolve) => {
        execFile(file, args, { timeout: timeoutMs, windowsHide: true }, (err) => {
          if (err === null) return resolve(undefined);
          const status = typeof err.code === "number" ? `exit status ${err.code}` : (err.signal ?? String(err.code));
          resolve({ source: name, details: `${argv.join(" ")}: ${status}` });
        });
      });
    },
  };
}

async function readSource(name: string, path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new EdgewardError("EW_ERR_AGENT_TAMPER_SOURCE", { detail: `${name}: ${path}`, cause: err });
  }
}
