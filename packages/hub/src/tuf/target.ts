/**
 * A target as the hub publishes it: the ciphertext's path, length and SHA-256, and the release facts a device
 * needs before it asks for a key, carried in the target's `custom` field (TUF 1.0 §4.5 TARGETS, "custom").
 */
import { TargetFile } from "@tufjs/models";
import { EdgewardError } from "@edgeward/core";

/** One target to publish. */
export interface TargetInput {
  /** The target path ("NAME/VERSION"): letters, digits and `._-`, one slash-separated level per part. */
  readonly path: string;
  /** Length in bytes of the target file (the ciphertext for a sealed release). */
  readonly length: number;
  /** Lowercase hex SHA-256 of the target file. */
  readonly sha256: string;
  /** The `custom` object, JSON only. */
  readonly custom: Readonly<Record<string, unknown>>;
}

/** Longest target file the hub accepts: 64 GiB (a bound, not a plan). */
export const MAX_TARGET_LENGTH = 64 * 2 ** 30;

const PATH = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,3}$/;

/** Builds the `@tufjs/models` target file for `input`; EW_ERR_TUF_TARGET_INVALID names what is wrong. */
export function buildTargetFile(input: TargetInput): TargetFile {
  const bad = (what: string): never => {
    throw new EdgewardError("EW_ERR_TUF_TARGET_INVALID", { detail: what });
  };
  // A path becomes a URL path and a file name on the device: no "..", no empty parts, no odd characters.
  if (typeof input.path !== "string" || !PATH.test(input.path) || input.path.split("/").some((p) => /^\.+$/.test(p))) {
    bad("path");
  }
  if (!Number.isSafeInteger(input.length) || input.length < 0 || input.length > MAX_TARGET_LENGTH) bad("length");
  if (typeof input.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(input.sha256)) bad("sha256");
  let custom: unknown;
  try {
    custom = JSON.parse(JSON.stringify(input.custom)) as unknown;
  } catch {
    bad("custom");
  }
  if (typeof custom !== "object" || custom === null || Array.isArray(custom)) bad("custom");
  return TargetFile.fromJSON(input.path, { length: input.length, hashes: { sha256: input.sha256 }, custom } as never);
}
