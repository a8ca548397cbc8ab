import { after, before, describe } from "node:test";
import { startPostgres, type PostgresServer } from "@edgeward/testkit";
import { freshSchema } from "./helpers/postgres.ts";
import { hubStoreSuite } from "./store-suite.ts";

describe("hub store on PostgreSQL", () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server.stop());
  let n = 0;
  hubStoreSuite({
    fresh: async () => ({ postgres: await freshSchema(server.url, `s${n++}`) }),
    // The same database under another URL, so only PostgreSQL's advisory lock can keep two writers apart.
    alias: (where) => ("postgres" in where ? { postgres: `${where.postgres}&application_name=replica-2` } : where),
  });
});
