// The operator client's reading of hub answers (hub-client.ts): a hub error `{code, message}` becomes that code, and
// anything else that is not the API's answer is EW_ERR_HUB_RESPONSE_INVALID, against a real HTTPS server.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HubClient } from "@edgeward/hub";
import { rejectsWithCode } from "@edgeward/testkit";
import { startMalformedHub, type CannedAnswer } from "./helpers/malformed-hub.ts";

async function clientAnswering(answer: CannedAnswer, call: (c: HubClient) => Promise<unknown>): Promise<unknown> {
  await using hub = await startMalformedHub(() => answer);
  return await call(new HubClient({ url: hub.url, token: "t", ca: hub.ca }));
}

describe("HubClient: answers that are not the operator API's", () => {
  it("a JSON answer passes through, and a hub error code comes back as that code", async () => {
    assert.deepEqual(await clientAnswering({ status: 200, body: '{"ok":true}' }, (c) => c.get("/v1/hub")), {
      ok: true,
    });
    await rejectsWithCode(
      clientAnswering({ status: 404, body: '{"code":"EW_ERR_RELEASE_NOT_FOUND","message":"x"}' }, (c) =>
        c.get("/v1/releases/x"),
      ),
      "EW_ERR_RELEASE_NOT_FOUND",
    );
  });

  it("when a success answer is not JSON, rejects with EW_ERR_HUB_RESPONSE_INVALID", async () => {
    for (const body of ["<html>proxy</html>", '{"entries": [', "\u0000"])
      await rejectsWithCode(
        clientAnswering({ status: 200, body }, (c) => c.get("/v1/hub")),
        "EW_ERR_HUB_RESPONSE_INVALID",
      );
  });

  it("when an error answer has no registered code, rejects with EW_ERR_HUB_RESPONSE_INVALID", async () => {
    const answers: CannedAnswer[] = [
      { status: 500, body: '{"message":"internal"}' },
      { status: 403, body: '{"code":"EW_ERR_MADE_UP","message":"x"}' },
      { status: 400, body: '{"code":42}' },
      { status: 502, body: "" },
      { status: 503, body: "Service Unavailable" },
    ];
    for (const answer of answers)
      await rejectsWithCode(
        clientAnswering(answer, (c) => c.post("/v1/releases", {})),
        "EW_ERR_HUB_RESPONSE_INVALID",
      );
  });

  it("when an answer exceeds 32 MiB, rejects with EW_ERR_HUB_RESPONSE_INVALID instead of buffering it", async () => {
    const body = `"${"x".repeat(32 * 1024 * 1024)}"`;
    await rejectsWithCode(
      clientAnswering({ status: 200, body }, (c) => c.get("/v1/devices")),
      "EW_ERR_HUB_RESPONSE_INVALID",
    );
  });
});
