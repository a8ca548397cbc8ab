/**
 * The two metadata files that grow with the repository, the hash bins (targets) and the snapshot, handled as plain
 * TUF 1.0 JSON (§4.4, §4.5) on the hub's hot path. `@tufjs/models` rebuilds these maps with an object spread per
 * entry (quadratic in the entries: 90% of a publish at 256 bins, measured with bench/hub-release.ts), so the hub
 * reads, edits and signs them directly; the signature is over the same canonical JSON (OLPC) a client checks.
 */
import { canonicalize } from "@tufjs/canonical-json";
import { EdgewardError } from "@edgeward/core";
import type { TufSigner } from "./keys.ts";
import { latestName } from "./layout.ts";
import { requireThreshold, type RoleKeys } from "./sign.ts";
import type { TufFile, TufMetadataStore } from "./store.ts";

/** A target entry as TUF writes it: `{length, hashes, custom?}`. */
export type TargetEntry = { readonly length: number; readonly hashes: Readonly<Record<string, string>> } & Readonly<
  Record<string, unknown>
>;

/** The signed part of a hash bin. */
export interface BinDocument {
  readonly _type: "targets";
  readonly spec_version: string;
  readonly version: number;
  readonly expires: string;
  readonly targets: Readonly<Record<string, TargetEntry>>;
}

/** The signed part of the snapshot. */
export interface SnapshotDocument {
  readonly _type: "snapshot";
  readonly spec_version: string;
  readonly version: number;
  readonly expires: string;
  readonly meta: Readonly<Record<string, { readonly version: number; readonly length?: number }>>;
}

/** Loads the newest `role` ("releases-xx" or "snapshot") as its signed part; EW_ERR_TUF_METADATA_CORRUPT if odd. */
export async function loadDocument<T extends BinDocument | SnapshotDocument>(
  store: TufMetadataStore,
  type: T["_type"],
  role: string,
): Promise<T> {
  const name = latestName(role);
  const bytes = await store.get(name);
  if (bytes === undefined) throw new EdgewardError("EW_ERR_TUF_NOT_INITIALISED", { detail: name });
  const corrupt = (detail: string) =>
    new EdgewardError("EW_ERR_TUF_METADATA_CORRUPT", { detail: `${name}: ${detail}` });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw new EdgewardError("EW_ERR_TUF_METADATA_CORRUPT", { detail: name, cause: err });
  }
  const signed = isObject(parsed) ? parsed["signed"] : undefined;
  if (!isObject(signed) || signed["_type"] !== type) throw corrupt(`not ${type} metadata`);
  if (!Number.isSafeInteger(signed["version"]) || typeof signed["expires"] !== "string") throw corrupt("version");
  const map = signed[type === "targets" ? "targets" : "meta"];
  if (!isObject(map)) throw corrupt(type === "targets" ? "targets" : "meta");
  return signed as unknown as T;
}

/**
 * Signs `signed` with `signers` after checking they reach `role`'s threshold, and returns the files of that version:
 * "VERSION.ROLE.json" and the "ROLE.json" copy (TUF 1.0 §4.2 signatures over the canonical `signed`).
 */
export function signDocument(
  role: string,
  signed: BinDocument | SnapshotDocument,
  signers: readonly TufSigner[],
  keys: RoleKeys,
): TufFile[] {
  requireThreshold(signers, keys, role);
  const data = Buffer.from(canonicalize(signed as never));
  const signatures = signers.map((s) => s.sign(data).toJSON());
  const bytes = Buffer.from(JSON.stringify({ signatures, signed }));
  return [
    { name: `${signed.version}.${role}.json`, bytes },
    { name: latestName(role), bytes },
  ];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
