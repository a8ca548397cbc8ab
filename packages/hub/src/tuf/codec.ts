/**
 * Reading and writing metadata files: JSON bytes in the store, `@tufjs/models` objects in memory. What the store
 * returns is checked like untrusted input, since a damaged database must fail closed (EW_ERR_TUF_METADATA_CORRUPT).
 */
import type { MetadataKind } from "@tufjs/models";
import { Metadata, type Root, type Snapshot, type Targets, type Timestamp } from "@tufjs/models";
import { EdgewardError } from "@edgeward/core";
import { latestName } from "./layout.ts";
import type { TufFile, TufMetadataStore } from "./store.ts";

/** The model type of each metadata kind. */
export interface KindModel {
  [MetadataKind.Root]: Root;
  [MetadataKind.Targets]: Targets;
  [MetadataKind.Snapshot]: Snapshot;
  [MetadataKind.Timestamp]: Timestamp;
}

/** The bytes of a metadata file as the repository serves them (UTF-8 JSON, as tuf-js parses it). */
export function encodeMetadata(metadata: Metadata<KindModel[keyof KindModel]>): Uint8Array {
  return Buffer.from(JSON.stringify(metadata.toJSON()));
}

/** Parses stored bytes as metadata of `kind`; EW_ERR_TUF_METADATA_CORRUPT when they are not. */
export function decodeMetadata<K extends keyof KindModel>(
  kind: K,
  bytes: Uint8Array,
  name: string,
): Metadata<KindModel[K]> {
  try {
    const json: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new TypeError("not an object");
    // The overloads of fromJSON are per kind; K narrows to one of them at every call site.
    return Metadata.fromJSON(kind as MetadataKind.Root, json as never) as unknown as Metadata<KindModel[K]>;
  } catch (err) {
    throw new EdgewardError("EW_ERR_TUF_METADATA_CORRUPT", { detail: name, cause: err });
  }
}

/** Loads the newest version of `role`; EW_ERR_TUF_NOT_INITIALISED when the store has none. */
export async function loadLatest<K extends keyof KindModel>(
  store: TufMetadataStore,
  kind: K,
  role: string,
): Promise<Metadata<KindModel[K]>> {
  const name = role === "timestamp" ? "timestamp.json" : latestName(role);
  const bytes = await store.get(name);
  if (bytes === undefined) throw new EdgewardError("EW_ERR_TUF_NOT_INITIALISED", { detail: name });
  return decodeMetadata(kind, bytes, name);
}

/** The files that publish `metadata` as the new version of `role`: its versioned name and its latest copy. */
export function roleFiles(role: string, metadata: Metadata<KindModel[keyof KindModel]>): TufFile[] {
  const bytes = encodeMetadata(metadata);
  if (role === "timestamp") return [{ name: "timestamp.json", bytes }];
  return [
    { name: `${metadata.signed.version}.${role}.json`, bytes },
    { name: latestName(role), bytes },
  ];
}
