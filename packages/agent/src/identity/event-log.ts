/**
 * The firmware event log the agent sends beside its quote (docs/agent.md "Configuration", eventLogPath; the hub
 * replays it against the quoted PCR 7 for a `secureBoot: required` group, docs/devices.md "Secure boot"). The
 * kernel exposes it in securityfs, whose files report size 0, so it is read with a bound rather than by stat.
 */
import { open } from "node:fs/promises";
import { wire } from "@edgeward/core";

/** The Linux kernel's path of the TCG binary event log of the first TPM. */
export const DEFAULT_EVENT_LOG_PATH = "/sys/kernel/security/tpm0/binary_bios_measurements";

/**
 * The event log at `path`, base64, for the quote body's `eventLog`; undefined when the file is absent (no line),
 * unreadable, empty, or larger than the wire allows (wire.MAX_EVENT_LOG_BYTES) — those last three say why on `warn`.
 */
export async function readEventLog(
  path: string,
  warn: (line: string) => void = () => undefined,
): Promise<string | undefined> {
  const limit = wire.MAX_EVENT_LOG_BYTES;
  let handle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") warn(`event log ${path} cannot be read: ${String(err)}`);
    return undefined;
  }
  try {
    const buf = Buffer.alloc(limit + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled > limit) {
        warn(`event log ${path} is larger than ${limit} bytes; the quote goes without it`);
        return undefined;
      }
    }
    if (filled === 0) {
      warn(`event log ${path} is empty; the quote goes without it`);
      return undefined;
    }
    return buf.subarray(0, filled).toString("base64");
  } catch (err) {
    warn(`event log ${path} cannot be read: ${String(err)}`);
    return undefined;
  } finally {
    await handle.close();
  }
}
