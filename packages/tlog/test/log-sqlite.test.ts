import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { after, describe } from "node:test";
import { tempDir } from "@edgeward/testkit";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { durableLogSuite } from "./log-suite.ts";

describe("durable log on SQLite", () => {
  const dir = tempDir("edgeward-tlog-");
  after(() => dir[Symbol.dispose]());
  let n = 0;
  durableLogSuite({
    fresh: () => {
      const path = join(dir.path, `log-${n++}.db`);
      return Promise.resolve({
        store: () => new SqliteStore(path),
        exec: (sql: string) => {
          const db = new DatabaseSync(path);
          db.exec(sql);
          db.close();
          return Promise.resolve();
        },
      });
    },
    blob: (b) => `X'${Buffer.from(b).toString("hex")}'`,
  });
});
