// Which rows name a blob (content addressing: one blob may back several rows, of several features). A blob is
// deleted only when this finds none; a feature that starts naming blobs from a new table or column adds it here.
import { sql, type Kysely } from "kysely";

/** True when a review entry or a release (its payload, OMS bundle or guard) names `sha256`. */
export async function blobReferenced(db: Kysely<never>, sha256: string): Promise<boolean> {
  const { rows } = await sql<{ n: number | string }>`
    SELECT (SELECT count(*) FROM review_entries WHERE sha256 = ${sha256})
         + (SELECT count(*) FROM releases
             WHERE sha256 = ${sha256} OR bundle_sha256 = ${sha256} OR guard_sha256 = ${sha256}) AS n`.execute(db);
  return Number(rows[0]?.n ?? 0) > 0;
}
