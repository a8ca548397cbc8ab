/**
 * The shape of the hub's TUF repository: who signs what, how long each role's metadata lives, and the file names a
 * client fetches (TUF 1.0 §7, consistent snapshots).
 *
 * root and the top-level targets role are signed by offline keys. Top-level targets holds no targets: it delegates
 * every path to a succinct hash-bin delegation (TAP 15, `succinct_roles`) signed by one online key, so adding a
 * release rewrites one bin, the snapshot and the timestamp, whatever the number of releases.
 */
import { EdgewardError } from "@edgeward/core";

/** Tunable parts of the repository; {@link DEFAULT_TUF_POLICY} holds the defaults. */
export interface TufPolicy {
  /** Root signatures required (TUF 1.0 §4.3 threshold); the root keys are offline. */
  readonly rootThreshold: number;
  /** Top-level targets signatures required; its keys are offline. */
  readonly targetsThreshold: number;
  /** Bits of the succinct hash-bin delegation: 2^binBits bins (TAP 15 `bit_length`, 1–16). */
  readonly binBits: number;
  /** Lifetime in seconds of each role's metadata. */
  readonly expiry: Readonly<Record<TufRoleKind, number>>;
}

/** The role kinds whose lifetimes the policy sets; "releases" is every hash bin. */
export type TufRoleKind = "root" | "targets" | "releases" | "snapshot" | "timestamp";

const DAY = 86_400;

/**
 * Defaults: a short timestamp (4 h) that the hub re-signs when half of it is gone, a week for the snapshot, 90 days
 * for the online bins, a year for what the offline keys sign.
 */
export const DEFAULT_TUF_POLICY: TufPolicy = {
  rootThreshold: 1,
  targetsThreshold: 1,
  // 64 bins: every device's TUF client processes the snapshot, which lists each bin, on each refresh, and tuf-js's
  // snapshot model is quadratic in its entries (docs/releases.md "The TUF repository").
  binBits: 6,
  expiry: { root: 365 * DAY, targets: 365 * DAY, releases: 90 * DAY, snapshot: 7 * DAY, timestamp: 4 * 3600 },
};

/** The name prefix of the hash bins ("releases-00" … "releases-ff"). */
export const BIN_PREFIX = "releases";

/** TUF specification version written into every role (TUF 1.0 §4.3 `spec_version`). */
export const SPEC_VERSION = "1.0.31";

/** Checks a policy's numbers; EW_ERR_TUF_POLICY names the first one out of range. */
export function checkPolicy(policy: TufPolicy): void {
  const bad = (what: string): never => {
    throw new EdgewardError("EW_ERR_TUF_POLICY", { detail: what });
  };
  if (!isCount(policy.rootThreshold)) bad("rootThreshold");
  if (!isCount(policy.targetsThreshold)) bad("targetsThreshold");
  if (!Number.isInteger(policy.binBits) || policy.binBits < 1 || policy.binBits > 16) bad("binBits");
  for (const [kind, seconds] of Object.entries(policy.expiry)) if (!isCount(seconds)) bad(`expiry.${kind}`);
}

/** TUF's `expires` for `now` plus `seconds`: ISO 8601 UTC without fractions (TUF 1.0 §4.3). */
export function expiresAt(now: Date, seconds: number): string {
  return new Date(Math.floor(now.getTime() / 1000) * 1000 + seconds * 1000).toISOString().replace(".000Z", "Z");
}

/** True when less than half of a role's lifetime is left at `now`: time for the hub to sign it again. */
export function needsRefresh(expires: string, lifetimeSeconds: number, now: Date): boolean {
  return Date.parse(expires) - now.getTime() < (lifetimeSeconds * 1000) / 2;
}

/** The consistent-snapshot name of a role's metadata version (TUF 1.0 §7): "VERSION.ROLE.json". */
export function versionedName(role: string, version: number): string {
  return `${version}.${role}.json`;
}

/** The name under which the newest version of a role is kept in the store: "ROLE.json". */
export function latestName(role: string): string {
  return `${role}.json`;
}

/**
 * True when `name` is a metadata file name a client may ask for: "timestamp.json" or "N.ROLE.json" with a role
 * of the repository's alphabet. Anything else is refused before it reaches the store.
 */
export function isClientMetadataName(name: string): boolean {
  return (
    name === "timestamp.json" || /^[1-9][0-9]{0,9}\.(root|snapshot|targets|releases-[0-9a-f]{1,4})\.json$/.test(name)
  );
}

function isCount(value: number): boolean {
  return Number.isInteger(value) && value >= 1;
}
