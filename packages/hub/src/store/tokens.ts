import { createHash, randomBytes } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { HubDatabase, TokensTable } from "./schema.ts";

/** The operator roles, most powerful first (ARCHITECTURE.md, hub; see auth/roles.ts for what each may do). */
export const ROLES = ["admin", "publisher", "operator", "viewer"] as const;

/** One operator role. */
export type Role = (typeof ROLES)[number];

/** A stored token, without its secret. */
export type TokenRow = Selectable<TokensTable>;

/** What creating a token returns: its id and the secret, which is shown once and stored only as a sha256. */
export interface NewToken {
  readonly id: string;
  readonly token: string;
  readonly role: Role;
}

/** True when `value` names a role. */
export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/**
 * The stored form of a secret token: its sha256 in hex. The secret holds 256 random bits, so a fast hash is
 * enough (no password stretching is needed for a value that cannot be guessed).
 */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A fresh secret with a recognisable prefix (so leaked tokens are easy to scan for). */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

/** Creates an operator token and returns its secret (once). */
export async function createToken(
  db: Kysely<HubDatabase>,
  init: { role: Role; label: string; createdBy: string | null; now: Date },
): Promise<NewToken> {
  const id = `tok_${randomBytes(8).toString("hex")}`;
  const token = newSecret("ewt");
  await db
    .insertInto("tokens")
    .values({
      id,
      hash: hashToken(token),
      role: init.role,
      label: init.label,
      created_at: init.now.toISOString(),
      created_by: init.createdBy,
      revoked_at: null,
    })
    .execute();
  return { id, token, role: init.role };
}

/** The token whose secret is `token`, revoked or not; undefined when none. */
export async function findToken(db: Kysely<HubDatabase>, token: string): Promise<TokenRow | undefined> {
  return db.selectFrom("tokens").selectAll().where("hash", "=", hashToken(token)).executeTakeFirst();
}

/** Every token, oldest first (without secrets: only their hashes are stored). */
export async function listTokens(db: Kysely<HubDatabase>): Promise<TokenRow[]> {
  return db.selectFrom("tokens").selectAll().orderBy("created_at").orderBy("id").execute();
}

/** Revokes a token; returns the row, or undefined when there is no such token. Revoking twice keeps the first time. */
export async function revokeToken(db: Kysely<HubDatabase>, id: string, now: Date): Promise<TokenRow | undefined> {
  await db
    .updateTable("tokens")
    .set({ revoked_at: now.toISOString() })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .execute();
  return db.selectFrom("tokens").selectAll().where("id", "=", id).executeTakeFirst();
}
