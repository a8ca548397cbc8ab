import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/** Most distinct statements kept prepared per database; the hub's queries are a few dozen shapes. */
const MAX_PREPARED = 500;

/**
 * Kysely's SqliteDialect speaks the better-sqlite3 shape: parameters as one array, and `stmt.reader` saying whether
 * a statement returns rows. `node:sqlite` (built into Node 24) takes parameters spread and has `columns()` instead,
 * so this adapter bridges the two (ARCHITECTURE.md, machine notes).
 *
 * Kysely prepares every query it runs; compiling the SQL each time was a fifth of an attestation cycle's CPU, so
 * statements are kept by their SQL text and reused (SQLite resets a statement before each run). `iterate` gets a
 * statement of its own: a reader that is still open must not be reset by another query of the same shape.
 */
export function adaptDatabaseSync(db: DatabaseSync): SqliteDatabase {
  const prepared = new Map<string, SqliteStatement>();
  return {
    close: () => {
      prepared.clear();
      db.close();
    },
    prepare: (sql: string): SqliteStatement => {
      let stmt = prepared.get(sql);
      if (stmt === undefined) {
        stmt = adaptStatement(db, sql, db.prepare(sql));
        if (prepared.size >= MAX_PREPARED) prepared.clear();
        prepared.set(sql, stmt);
      }
      return stmt;
    },
  };
}

function adaptStatement(db: DatabaseSync, sql: string, stmt: StatementSync): SqliteStatement {
  const params = (p: ReadonlyArray<unknown>): never[] => p as never[];
  return {
    reader: stmt.columns().length > 0,
    all: (p) => stmt.all(...params(p)),
    run: (p) => stmt.run(...params(p)),
    iterate: (p) => db.prepare(sql).iterate(...params(p)),
  };
}
