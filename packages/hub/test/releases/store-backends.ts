/**
 * The release store on both of the hub's databases, for contract suites: each test opens a fresh store (a SQLite
 * file, or a schema of one real PostgreSQL server shared by the suite) and closes it.
 */
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { startPostgres, tempDir, type PostgresServer } from "@edgeward/testkit";
import { DatabaseReleaseStore, type ReleaseStore } from "../../src/releases/index.ts";
import { HubStore } from "../../src/store/hub-store.ts";
import { freshSchema } from "../helpers/postgres.ts";

/** Opens a fresh store for one test. */
export type OpenReleaseStore = () => Promise<{ store: ReleaseStore; close: () => Promise<void> }>;

/** Runs `suite` in a `describe` titled `${title} (SQLite)` and again in `${title} (PostgreSQL)`. */
export function onReleaseDatabases(title: string, suite: (open: OpenReleaseStore) => void): void {
  describe(`${title} (SQLite)`, () => {
    suite(async () => {
      const dir = tempDir();
      const hub = await HubStore.open({ sqlite: join(dir.path, "hub.db") });
      return {
        store: new DatabaseReleaseStore(hub.db),
        close: async () => {
          await hub.close();
          dir[Symbol.dispose]();
        },
      };
    });
  });

  describe(`${title} (PostgreSQL)`, () => {
    let server: PostgresServer;
    before(async () => {
      server = await startPostgres();
    });
    after(() => server.stop());
    let n = 0;
    suite(async () => {
      const hub = await HubStore.open({ postgres: await freshSchema(server.url, `releases${n++}`) });
      return { store: new DatabaseReleaseStore(hub.db), close: () => hub.close() };
    });
  });
}
