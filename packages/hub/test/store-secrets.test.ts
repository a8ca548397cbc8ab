import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isEdgewardError } from "@edgeward/core";
import { HubStore } from "../src/store/hub-store.ts";
import { closedPort, errorChainText } from "@edgeward/testkit";

describe("the hub's PostgreSQL store keeps the secrets of its URL out of its errors", () => {
  it("a refused connection is EW_ERR_HUB_STORAGE naming the database, with userinfo and query passwords hidden", async () => {
    const port = await closedPort();
    const url = `postgres://bob:hunter2@127.0.0.1:${port}/hub?password=s3cret&sslpassword=k3y&sslmode=disable`;
    const err: unknown = await HubStore.open({ postgres: url }).then(
      () => assert.fail("a hub store opened on a refused connection"),
      (e: unknown) => e,
    );
    assert.ok(isEdgewardError(err, "EW_ERR_HUB_STORAGE"), String(err));
    const text = errorChainText(err);
    for (const secret of ["hunter2", "s3cret", "k3y"]) assert.ok(!text.includes(secret), `${secret} in: ${text}`);
    // Still says which database failed, and keeps the parameters that are not secret.
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}/hub\\?password=\\*\\*\\*`));
    assert.match(err.message, /sslmode=disable/);
  });
});
