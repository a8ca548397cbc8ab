import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/**
 * Kysely's SqliteDialect speaks the better-sqlite3 shape: parameters as one array, and `stmt.reader` saying whether
 * a statement returns rows. `node:sqlite` (built into Node 24) takes parameters spread and has `columns()` instead,
 * so this adapter bridges the two (ARCHITECTURE.md, machine notes).
 */
export function adaptDatabaseSync(db: DatabaseSync): SqliteDatabase {
  return {
    close: () => db.close(),
    prepare: (sql: string): SqliteStatement => adaptStatement(db.prepare(sql)),
  };
}

function adaptStatement(stmt: StatementSync): SqliteStatement {
  const params = (p: ReadonlyArray<unknown>): never[] => p as never[];
  return {
    reader: stmt.columns().length > 0,
    all: (p) => stmt.all(...params(p)),
    run: (p) => stmt.run(...params(p)),
    iterate: (p) => stmt.iterate(...params(p)),
  };
}
