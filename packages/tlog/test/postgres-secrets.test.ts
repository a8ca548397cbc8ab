import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isEdgewardError } from "@edgeward/core/errors";
import { openStore } from "@edgeward/tlog/open";
import { PostgresStore } from "@edgeward/tlog/postgres";
import { closedPort, errorChainText } from "@edgeward/testkit";

describe("a PostgreSQL store's errors carry no secret from its URL", () => {
  const SECRETS = ["hunter2", "s3cret", "k3y"];

  it("a refused connection is EW_ERR_LOG_STORAGE naming the database, with userinfo and query passwords hidden", async () => {
    const port = await closedPort();
    const url = `postgres://bob:hunter2@127.0.0.1:${port}/log?password=s3cret&sslpassword=k3y&sslmode=disable`;
    const store = await openStore({ postgres: url });
    try {
      assert.ok(store instanceof PostgresStore);
      for (const secret of SECRETS) assert.ok(!store.location.includes(secret), `${secret} in location`);
      const err: unknown = await store.readMeta().then(
        () => assert.fail("reading from a refused connection succeeded"),
        (e: unknown) => e,
      );
      assert.ok(isEdgewardError(err, "EW_ERR_LOG_STORAGE"), String(err));
      const text = errorChainText(err);
      for (const secret of SECRETS) assert.ok(!text.includes(secret), `${secret} in the error: ${text}`);
      // Still says which database failed, and keeps the parameters that are not secret.
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}/log\\?password=\\*\\*\\*`));
      assert.match(err.message, /sslmode=disable/);
    } finally {
      await store.close();
    }
  });
});
