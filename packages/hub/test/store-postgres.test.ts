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
  hubStoreSuite({ fresh: async () => ({ postgres: await freshSchema(server.url, `s${n++}`) }) });
});
