import { after, before, describe } from "node:test";
import pg from "pg";
import { startPostgres, type PostgresServer } from "@edgeward/testkit";
import { PostgresStore } from "@edgeward/tlog/postgres";
import { durableLogSuite } from "./log-suite.ts";

describe("durable log on PostgreSQL", () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server.stop());
  let n = 0;
  durableLogSuite({
    fresh: async () => {
      // One schema per test, selected through the connection's search_path.
      const schema = `t${n++}`;
      const admin = new pg.Client(server.url);
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      const url = `${server.url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      return {
        store: () => new PostgresStore(url),
        exec: async (sql: string) => {
          const c = new pg.Client(url);
          await c.connect();
          await c.query(sql);
          await c.end();
        },
      };
    },
    blob: (b) => `'\\x${Buffer.from(b).toString("hex")}'::bytea`,
  });
});
