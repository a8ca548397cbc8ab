/**
 * The {@link ReleaseStore} over the hub's database (`releases` table; store/README.md), so every replica sees the
 * same releases. JSON columns hold the rollout groups; the TUF custom metadata column keeps what was published.
 */
import type { Kysely, Selectable } from "kysely";
import { EdgewardError } from "@edgeward/core";
import type { HubDatabase, ReleasesTable } from "../store/schema.ts";
import { bumpReleaseMarker } from "./release-marker.ts";
import { targetOf } from "./service.ts";
import type { ReleaseListOptions, ReleasePatch, ReleaseRecord, ReleaseStore } from "./store.ts";

/** Releases in the hub's Kysely database (SQLite or PostgreSQL). */
export class DatabaseReleaseStore implements ReleaseStore {
  readonly #db: Kysely<HubDatabase>;

  constructor(db: Kysely<HubDatabase>) {
    this.#db = db;
  }

  async insert(record: ReleaseRecord): Promise<void> {
    try {
      await this.#db
        .insertInto("releases")
        .values({
          id: record.id,
          kind: record.kind,
          name: record.name,
          version: record.version,
          target_name: record.targetName,
          sha256: record.sha256,
          length: record.length,
          floor: record.floor,
          groups: JSON.stringify(record.groups),
          header: record.header,
          bundle_sha256: record.bundleSha256,
          custom: JSON.stringify(targetOf(record).custom),
          log_index: record.logIndex,
          created_at: record.createdAt,
          created_by: record.createdBy,
          ...guardColumns(record),
        })
        .execute();
    } catch (err) {
      // A unique constraint (id, name and version, target name) means another request took it first.
      const taken = await this.#db
        .selectFrom("releases")
        .select("id")
        .where((eb) =>
          eb.or([eb("id", "=", record.id), eb.and([eb("name", "=", record.name), eb("version", "=", record.version)])]),
        )
        .executeTakeFirst();
      if (taken !== undefined) throw new EdgewardError("EW_ERR_RELEASE_EXISTS", { detail: record.targetName });
      throw err;
    }
  }

  async get(id: string): Promise<ReleaseRecord | undefined> {
    const row = await this.#db.selectFrom("releases").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async list(options: ReleaseListOptions): Promise<ReleaseRecord[]> {
    let query = this.#db.selectFrom("releases").selectAll().orderBy("created_at").orderBy("id").limit(options.limit);
    if (options.name !== undefined) query = query.where("name", "=", options.name);
    const after = options.after === undefined ? undefined : await this.get(options.after);
    if (after !== undefined) {
      query = query.where((eb) =>
        eb.or([
          eb("created_at", ">", after.createdAt),
          eb.and([eb("created_at", "=", after.createdAt), eb("id", ">", after.id)]),
        ]),
      );
    }
    return (await query.execute()).map(fromRow);
  }

  async update(id: string, patch: ReleasePatch): Promise<void> {
    const current = await this.get(id);
    if (current === undefined) throw new EdgewardError("EW_ERR_RELEASE_NOT_FOUND", { detail: id });
    const next = { ...current, ...patch };
    await this.#db.transaction().execute(async (tx) => {
      // Only the columns the patch names, so two updates at once (a guard upload, a publication) cannot undo each other.
      await tx
        .updateTable("releases")
        .set({
          ...(patch.groups === undefined ? {} : { groups: JSON.stringify(next.groups) }),
          ...(patch.logIndex === undefined ? {} : { log_index: next.logIndex }),
          ...(patch.guard === undefined ? {} : guardColumns(next)),
          custom: JSON.stringify(targetOf(next).custom),
        })
        .where("id", "=", id)
        .execute();
      // With the change, in its transaction: other replicas' long polls wake on it (release-marker.ts).
      await bumpReleaseMarker(tx);
    });
  }
}

function fromRow(row: Selectable<ReleasesTable>): ReleaseRecord {
  return {
    id: row.id,
    kind: row.kind === "package" ? "package" : "model",
    name: row.name,
    version: row.version,
    targetName: row.target_name,
    sha256: row.sha256,
    length: Number(row.length),
    floor: row.floor ?? row.version,
    groups: JSON.parse(row.groups) as string[],
    header: row.header,
    bundleSha256: row.bundle_sha256 ?? "",
    logIndex: row.log_index === null ? null : Number(row.log_index),
    createdAt: row.created_at,
    createdBy: row.created_by,
    ...(row.guard_config_sha256 === null || row.guard_sha256 === null || row.guard_length === null
      ? {}
      : {
          guard: {
            configSha256: row.guard_config_sha256,
            sha256: row.guard_sha256,
            length: Number(row.guard_length),
            uploaded: Number(row.guard_uploaded) === 1,
          },
        }),
  };
}

/** The guard columns of a release (migration 0002): all null without a guard. */
function guardColumns(record: ReleaseRecord) {
  const g = record.guard;
  return {
    guard_config_sha256: g?.configSha256 ?? null,
    guard_sha256: g?.sha256 ?? null,
    guard_length: g?.length ?? null,
    guard_uploaded: g === undefined ? null : g.uploaded ? 1 : 0,
  };
}
