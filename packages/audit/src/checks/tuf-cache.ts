/**
 * The running release's TUF target as the agent's cached metadata records it. tuf-js keeps the metadata it
 * trusted in one folder (`root.json`, `timestamp.json`, `snapshot.json`, `targets.json`, and each delegated role
 * as `ROLE.json`, the name URI-encoded); the agent's is beside its pinned root (`update.tufRoot`). The audit does
 * not verify the signatures again: the agent did before it kept the files (TUF 1.0 §5), and the audit only
 * cross-checks state.json against what the agent trusted.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import type { HostView } from "../host/host-view.ts";

/** What the cached metadata says about one target. */
export type CachedTarget =
  | { readonly found: true; readonly role: string; readonly custom: Readonly<Record<string, unknown>> }
  | { readonly found: false; readonly why: string };

type Json = Record<string, unknown>;

/** At most this many delegated role files are read while looking for a target (explicit delegations). */
const MAX_ROLES = 64;

/** Looks `target` up in the metadata cached in `tufDir` (a path inside the state directory `dir`). */
export async function cachedTarget(dir: HostView, tufDir: string, target: string): Promise<CachedTarget> {
  const top = await signedOf(dir, posix.join("/", tufDir, "targets.json"));
  if (top === undefined) return { found: false, why: `no cached TUF targets metadata in ${tufDir}/` };
  const direct = targetIn(top, target);
  if (direct !== undefined) return { found: true, role: "targets", custom: direct };
  for (const role of delegatedRoles(top, target)) {
    const signed = await signedOf(dir, posix.join("/", tufDir, `${encodeURIComponent(role)}.json`));
    const custom = signed === undefined ? undefined : targetIn(signed, target);
    if (custom !== undefined) return { found: true, role, custom };
  }
  return { found: false, why: `the cached TUF metadata in ${tufDir}/ does not list ${target}` };
}

/** The roles that may hold `target`: its hash bin (TAP 15 succinct delegation) or the explicitly delegated roles. */
function delegatedRoles(top: Json, target: string): string[] {
  const delegations = top["delegations"] as Json | undefined;
  const succinct = delegations?.["succinct_roles"] as Json | undefined;
  if (succinct !== undefined) {
    const bits = succinct["bit_length"];
    const prefix = succinct["name_prefix"];
    if (typeof bits !== "number" || !Number.isInteger(bits) || bits < 1 || bits > 32 || typeof prefix !== "string")
      return [];
    // TAP 15: the bin is the first bit_length bits of SHA-256(target path), as hex padded to the last bin's width.
    const bin = createHash("sha256").update(target).digest().readUInt32BE(0) >>> (32 - bits);
    const width = (2 ** bits - 1).toString(16).length;
    return [`${prefix}-${bin.toString(16).padStart(width, "0")}`];
  }
  const roles = delegations?.["roles"];
  if (!Array.isArray(roles)) return [];
  return roles
    .map((r) => (r as Json | null)?.["name"])
    .filter((n): n is string => typeof n === "string")
    .slice(0, MAX_ROLES);
}

/** The target's `custom` object (empty when it has none), or undefined when the role does not list it. */
function targetIn(signed: Json, target: string): Json | undefined {
  const targets = signed["targets"] as Json | undefined;
  if (typeof targets !== "object" || targets === null || !Object.hasOwn(targets, target)) return undefined;
  const info = targets[target] as Json | null;
  const custom = info?.["custom"];
  return typeof custom === "object" && custom !== null && !Array.isArray(custom) ? (custom as Json) : {};
}

/** A metadata file's `signed` part, or undefined when it is missing or not TUF JSON. */
async function signedOf(dir: HostView, path: string): Promise<Json | undefined> {
  const text = await dir.text(path);
  if (text === undefined) return undefined;
  try {
    const signed = (JSON.parse(text) as Json | null)?.["signed"];
    return typeof signed === "object" && signed !== null && !Array.isArray(signed) ? (signed as Json) : undefined;
  } catch {
    return undefined;
  }
}
