/**
 * The release manifest a publisher posts before uploading the ciphertext (ARCHITECTURE.md, flow 1): what the
 * release is, the ciphertext's length and SHA-256, the age header whose escrow stanza wraps the file key to the
 * hub, and the OMS signature bundle. Untrusted input: every field is checked, failures are EW_ERR_RELEASE_INVALID.
 */
import { createHash } from "node:crypto";
import { EdgewardError } from "@edgeward/core";
import { MAX_TARGET_LENGTH } from "../tuf/index.ts";

/** What kind of thing a release ships: a sealed model, or a firmware/agent package (sealed or not). */
export type ReleaseKind = "model" | "package";

/** A checked manifest. */
export interface ReleaseManifest {
  readonly name: string;
  readonly version: string;
  readonly kind: ReleaseKind;
  /** The version floor devices are raised to once they install this release (default: its own version). */
  readonly floor: string;
  /** Rollout: the device groups that may receive the release. */
  readonly groups: readonly string[];
  /** Length and lowercase hex SHA-256 of the ciphertext (the age payload; the header travels apart). */
  readonly length: number;
  readonly sha256: string;
  /** The age header wrapping the file key to the hub's escrow recipient; undefined for an unsealed package. */
  readonly header: Uint8Array | undefined;
  /** The OMS signature bundle's bytes and their SHA-256. */
  readonly bundle: Uint8Array;
  readonly bundleSha256: string;
  /** The release's guard (a model release only): its guard file's digest and the guard payload's length and SHA-256. */
  readonly guard: ReleaseGuardManifest | undefined;
}

/**
 * A guard shipped in a release (docs/releases.md, "A guard in a release"): `configSha256` is the SHA-256 of the
 * guard file's exact bytes, `length` and `sha256` those of the guard payload (the sealed guard bundle, no header).
 */
export interface ReleaseGuardManifest {
  readonly configSha256: string;
  readonly length: number;
  readonly sha256: string;
}

/** The suffix of a guard's TUF target path: the model target's path plus this. No release version may end so. */
export const GUARD_TARGET_SUFFIX = ".guard";

/** Largest age header or OMS bundle accepted in a manifest (bytes, decoded). */
export const MAX_MANIFEST_PART = 64 * 1024;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/;
const GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The JSON schema of the manifest body (POST /v1/releases); {@link parseManifest} checks the rest. */
export const MANIFEST_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["name", "version", "kind", "groups", "length", "sha256", "bundle"],
  properties: {
    name: { type: "string", maxLength: 64 },
    version: { type: "string", maxLength: 64 },
    kind: { type: "string", enum: ["model", "package"] },
    floor: { type: "string", maxLength: 64 },
    groups: { type: "array", maxItems: 256, items: { type: "string", maxLength: 64 } },
    length: { type: "integer", minimum: 0 },
    sha256: { type: "string", maxLength: 64 },
    header: { type: "string", maxLength: 2 * MAX_MANIFEST_PART },
    bundle: { type: "string", maxLength: 2 * MAX_MANIFEST_PART },
    guard: {
      type: "object",
      additionalProperties: false,
      required: ["configSha256", "length", "sha256"],
      properties: {
        configSha256: { type: "string", maxLength: 64 },
        length: { type: "integer", minimum: 0 },
        sha256: { type: "string", maxLength: 64 },
      },
    },
  },
} as const;

/** Checks an untrusted manifest (JSON already parsed); EW_ERR_RELEASE_INVALID names the first bad field. */
export function parseManifest(input: unknown): ReleaseManifest {
  if (typeof input !== "object" || input === null || Array.isArray(input)) bad("the manifest is not an object");
  const m = input as Record<string, unknown>;
  const name = text(m, "name", NAME);
  const version = text(m, "version", VERSION);
  // The guard's target is "NAME/VERSION.guard": a version ending so would take another release's guard path.
  if (version.endsWith(GUARD_TARGET_SUFFIX)) bad(`version (may not end in ${GUARD_TARGET_SUFFIX})`);
  const kind = m["kind"];
  if (kind !== "model" && kind !== "package") bad("kind");
  const floor = m["floor"] === undefined ? version : text(m, "floor", VERSION);
  const groups = parseGroups(m["groups"]);
  const length = targetLength(m["length"], "length");
  const sha256 = hex256(m["sha256"], "sha256");
  const header = m["header"] === undefined ? undefined : base64(m, "header");
  // A model is always sealed: its key is what key release hands out (promise 7).
  if (kind === "model" && header === undefined) bad("header (a model release must be sealed)");
  const bundle = base64(m, "bundle");
  const guard = m["guard"] === undefined ? undefined : parseGuard(m["guard"]);
  // A guard travels sealed under the release's file key (contract §2), so only a model release carries one.
  if (guard !== undefined && kind !== "model") bad("guard (only a model release carries a guard)");
  return {
    name,
    version,
    kind,
    floor,
    groups,
    length,
    sha256,
    header,
    bundle,
    bundleSha256: createHash("sha256").update(bundle).digest("hex"),
    guard,
  };
}

function parseGuard(value: unknown): ReleaseGuardManifest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad("guard");
  const g = value as Record<string, unknown>;
  const extra = Object.keys(g).find((k) => !["configSha256", "length", "sha256"].includes(k));
  if (extra !== undefined) bad(`guard.${extra}`);
  return {
    configSha256: hex256(g["configSha256"], "guard.configSha256"),
    length: targetLength(g["length"], "guard.length"),
    sha256: hex256(g["sha256"], "guard.sha256"),
  };
}

function targetLength(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > MAX_TARGET_LENGTH) bad(field);
  return value as number;
}

function hex256(value: unknown, field: string): string {
  if (typeof value !== "string" || !/^[0-9a-f]{64}$/.test(value)) bad(field);
  return value;
}

/** Checks a rollout's group names (at most 256, each a name) and drops repeats; EW_ERR_RELEASE_INVALID otherwise. */
export function parseGroups(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > 256 || !value.every((g) => typeof g === "string" && GROUP.test(g))) {
    bad("groups");
  }
  return [...new Set(value as string[])];
}

function text(m: Record<string, unknown>, field: string, pattern: RegExp): string {
  const value = m[field];
  if (typeof value !== "string" || !pattern.test(value)) bad(field);
  return value;
}

function base64(m: Record<string, unknown>, field: string): Uint8Array {
  const value = m[field];
  if (typeof value !== "string" || value.length % 4 !== 0 || !BASE64.test(value)) bad(field);
  const bytes = Buffer.from(value, "base64");
  if (bytes.length === 0 || bytes.length > MAX_MANIFEST_PART) bad(field);
  return new Uint8Array(bytes);
}

function bad(detail: string): never {
  throw new EdgewardError("EW_ERR_RELEASE_INVALID", { detail });
}
