/**
 * Builders for the two roles the offline keys sign, written as the TUF 1.0 JSON they become (§4.3 root, §4.5
 * targets with TAP 15 `succinct_roles`) and read back through `@tufjs/models`, which validates them.
 */
import { Root, Targets, type Key } from "@tufjs/models";
import { BIN_PREFIX, SPEC_VERSION } from "./layout.ts";

/** The keys and thresholds a root version lists. */
export interface RootContents {
  readonly version: number;
  readonly expires: string;
  readonly root: { readonly keys: readonly Key[]; readonly threshold: number };
  readonly targets: { readonly keys: readonly Key[]; readonly threshold: number };
  readonly snapshot: Key;
  readonly timestamp: Key;
}

/** A root with consistent snapshots on, listing exactly the given keys per role. */
export function buildRoot(contents: RootContents): Root {
  const keys: Record<string, unknown> = {};
  const role = (list: readonly Key[], threshold: number) => {
    for (const key of list) keys[key.keyID] = key.toJSON();
    return { keyids: [...new Set(list.map((k) => k.keyID))], threshold };
  };
  const roles = {
    root: role(contents.root.keys, contents.root.threshold),
    targets: role(contents.targets.keys, contents.targets.threshold),
    snapshot: role([contents.snapshot], 1),
    timestamp: role([contents.timestamp], 1),
  };
  return Root.fromJSON({
    _type: "root",
    spec_version: SPEC_VERSION,
    version: contents.version,
    expires: contents.expires,
    consistent_snapshot: true,
    keys,
    roles,
  } as never);
}

/**
 * The top-level targets role: no targets of its own, and one succinct hash-bin delegation of every path to the
 * online releases key (TAP 15). Succinct roles are terminating, so a path is looked up in exactly one bin.
 */
export function buildTopTargets(version: number, expires: string, releasesKey: Key, binBits: number): Targets {
  return Targets.fromJSON({
    _type: "targets",
    spec_version: SPEC_VERSION,
    version,
    expires,
    targets: {},
    delegations: {
      keys: { [releasesKey.keyID]: releasesKey.toJSON() },
      succinct_roles: { keyids: [releasesKey.keyID], threshold: 1, bit_length: binBits, name_prefix: BIN_PREFIX },
    },
  });
}
