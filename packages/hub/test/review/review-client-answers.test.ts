// The operator side of review shipping (review/client.ts) refuses hub answers it cannot trust: a list without
// entries, an entry without ciphertext or whose ciphertext does not hash to its SHA-256, a deletion of another entry.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { deleteReviewEntry, HubClient, listReviewEntries, reviewEntry } from "@edgeward/hub";
import { rejectsWithCode } from "@edgeward/testkit";
import { startMalformedHub } from "../helpers/malformed-hub.ts";

const ciphertext = Buffer.from("age-encryption.org/v1\n-> X25519 stand-in\n");
const sha256 = createHash("sha256").update(ciphertext).digest("hex");
const info = { deviceId: "dev-1", id: "e1", sha256, length: ciphertext.length };

async function against<T>(body: unknown, call: (c: HubClient) => Promise<T>): Promise<T> {
  await using hub = await startMalformedHub(() => ({ status: 200, body: JSON.stringify(body) }));
  return await call(new HubClient({ url: hub.url, token: "t", ca: hub.ca }));
}

describe("review client: hub answers", () => {
  it("well-formed answers are returned as they are", async () => {
    assert.deepEqual(await against({ entries: [info] }, (c) => listReviewEntries(c)), [info]);
    const got = await against({ ...info, ciphertext: ciphertext.toString("base64") }, (c) =>
      reviewEntry(c, "dev-1", "e1"),
    );
    assert.deepEqual(got.ciphertext, ciphertext);
    await against({ deleted: true, deviceId: "dev-1", id: "e1" }, (c) => deleteReviewEntry(c, "dev-1", "e1"));
  });

  it("when the list has no entries array, rejects with EW_ERR_HUB_RESPONSE_INVALID", async () => {
    for (const body of [{}, { entries: "none" }, null])
      await rejectsWithCode(
        against(body, (c) => listReviewEntries(c)),
        "EW_ERR_HUB_RESPONSE_INVALID",
      );
  });

  it("when an entry has no ciphertext or one that does not match its SHA-256, rejects with EW_ERR_HUB_RESPONSE_INVALID", async () => {
    const other = Buffer.from(ciphertext);
    other[0]! ^= 1;
    for (const body of [info, { ...info, ciphertext: 7 }, { ...info, ciphertext: other.toString("base64") }])
      await rejectsWithCode(
        against(body, (c) => reviewEntry(c, "dev-1", "e1")),
        "EW_ERR_HUB_RESPONSE_INVALID",
      );
  });

  it("when the deletion answer is not of the entry asked for, rejects with EW_ERR_HUB_RESPONSE_INVALID", async () => {
    const answers = [
      {},
      { deleted: false, deviceId: "dev-1", id: "e1" },
      { deleted: true, deviceId: "dev-2", id: "e1" },
      { deleted: true, deviceId: "dev-1", id: "e2" },
    ];
    for (const body of answers)
      await rejectsWithCode(
        against(body, (c) => deleteReviewEntry(c, "dev-1", "e1")),
        "EW_ERR_HUB_RESPONSE_INVALID",
      );
  });
});
