import { sql } from "kysely";
import type { HubStore } from "./hub-store.ts";

/** Runs one function at a time, across every holder of the same lock. */
export interface WriterLock {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** Lock keys (any constants every replica shares). */
export const LOCK_KEYS = { tuf: 0x45_57_54_55, auditLog: 0x45_57_41_4c } as const;

/** The queue of each lock in this process, whichever instance asks. */
const QUEUES = new Map<string, Promise<unknown>>();

/**
 * A writer lock on the hub's database: an in-process queue per database and key, and on PostgreSQL also a session
 * advisory lock held on one pooled connection while `fn` runs, so every replica waits its turn. `fn` runs its own
 * queries on other connections. SQLite has one process per database, so the queue is enough there.
 */
export function writerLock(store: HubStore, key: number): WriterLock {
  const name = `${store.kind}:${store.location}:${key}`;
  const guarded = <T>(fn: () => Promise<T>): Promise<T> =>
    store.kind !== "postgres"
      ? fn()
      : store.db.connection().execute(async (conn) => {
          await sql`SELECT pg_advisory_lock(${key})`.execute(conn);
          try {
            return await fn();
          } finally {
            await sql`SELECT pg_advisory_unlock(${key})`.execute(conn);
          }
        });
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const run = (QUEUES.get(name) ?? Promise.resolve()).then(() => guarded(fn));
      const tail = run.catch(() => undefined);
      QUEUES.set(name, tail);
      void tail.then(() => {
        if (QUEUES.get(name) === tail) QUEUES.delete(name);
      });
      return run;
    },
  };
}

/** A lock for one process without a database (tests, a single writer). */
export function processLock(): WriterLock {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const run = tail.then(fn);
      tail = run.catch(() => undefined);
      return run;
    },
  };
}
