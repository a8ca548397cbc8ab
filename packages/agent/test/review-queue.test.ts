// The review queue as the agent wires it (docs/guard.md "Review queue"; docs/agent.md "Configuration"): the
// configuration's review section gives the serving guard its queue, a flagged image is sealed to the review
// recipient before anything is written, a full queue refuses new entries with a device-log record, and shipping
// deletes an entry only once the hub acknowledged that id and digest. The hub here is `ackingHubMock`, a test
// double of POST /v1/device/review (the real route runs in packages/hub/test/review/ and, end to end, in
// packages/cli/test/agent-review-shipping.test.ts).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { EdgewardError, generateIdentity, type wire } from "@edgeward/core";
import { loadModel } from "@edgeward/runtime";
import { decodeAuditEvent, ed25519Signer } from "@edgeward/tlog";
import { tempDir } from "@edgeward/testkit";
import {
  activateServing,
  buildApp,
  DeviceLog,
  GuardSlot,
  ModelSlot,
  openReviewQueue,
  parseConfig,
  ReviewShipping,
  shipReviewEntries,
  stateLayout,
  type GuardedAnswer,
  type ReviewSink,
} from "@edgeward/agent";
import { REVIEW_RETRY_LATER_MS } from "../src/review/index.ts";

const MODELS = fileURLToPath(new URL("../../guard/models/", import.meta.url));
const guardPath = join(MODELS, "guard.yaml");
const guardDigest = createHash("sha256").update(readFileSync(guardPath)).digest("hex");
const blankPng = () =>
  sharp(Buffer.alloc(784), { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toBuffer();

/** A stand-in for the hub's review route: acknowledges what it is sent (or `ack` rewrites the answer). */
function ackingHubMock(
  ack: (b: wire.ReviewShipRequest) => wire.ReviewShipResponse = (b) => ({ stored: true, id: b.id, sha256: b.sha256 }),
) {
  const received: wire.ReviewShipRequest[] = [];
  const sink: ReviewSink = {
    shipReview: (body) => {
      received.push(body);
      return Promise.resolve(ack(body));
    },
  };
  return { sink, received };
}

describe("the agent's review queue, from its configuration to shipping", () => {
  const state = tempDir("edgeward-review-state-");
  const review = generateIdentity("x25519");
  const layout = stateLayout(state.path);
  const config = parseConfig({ review: { recipient: review.recipient, maxEntries: 2 } });
  const queue = openReviewQueue(config.review, layout)!;
  let app: ReturnType<typeof buildApp>;
  let log: DeviceLog;
  const post = async (payload: Buffer) =>
    (
      await app.inject({
        method: "POST",
        url: "/v1/infer",
        headers: { "content-type": "image/png", "x-edgeward-client": "cam-7" },
        payload,
      })
    ).json<GuardedAnswer>();

  before(async () => {
    const slot = new ModelSlot(loadModel);
    const guards = new GuardSlot({ reviewQueue: queue });
    const cnn = new Uint8Array(readFileSync(join(MODELS, "cnn.onnx")));
    await activateServing({ slot, guards }, { name: "fashion", version: "1", releaseId: "r1" }, cnn, {
      path: guardPath,
      digest: guardDigest,
    });
    log = await DeviceLog.open(layout, ed25519Signer("device.example/log", new Uint8Array(32).fill(9)), "agent:dev-r");
    app = buildApp({ slot, guards, audit: log, bodyLimit: config.bodyLimit, closers: [() => log.close()] });
  });
  after(async () => {
    await app.close();
    state[Symbol.dispose]();
  });

  it("seals a blank frame the guard rejects to the review recipient; the age CLI recovers the exact PNG", async () => {
    const bytes = await blankPng();
    const answer = await post(bytes);
    assert.equal(answer.decision, "reject");
    assert.ok(answer.review !== undefined && "id" in answer.review, JSON.stringify(answer.review));
    const file = join(state.path, "review", `${answer.review.id}.age`);
    assert.equal(readFileSync(file).indexOf(bytes.subarray(0, 24)), -1, "no PNG bytes in the entry");
    using keys = tempDir("edgeward-review-key-");
    writeFileSync(join(keys.path, "review.key"), review.identityText);
    const entry = JSON.parse(execFileSync("age", ["-d", "-i", join(keys.path, "review.key"), file]).toString()) as {
      decision: string;
      clientId: string;
      input: { kind: string; bytes: string };
    };
    assert.deepEqual([entry.decision, entry.input.kind], ["reject", "image"]);
    assert.deepEqual(Buffer.from(entry.input.bytes, "base64"), bytes);
  });

  it("when full, refuses new entries rather than dropping old ones, and the device log names EW_ERR_REVIEW_QUEUE_FULL", async () => {
    const second = await post(await blankPng());
    assert.ok(second.review !== undefined && "id" in second.review);
    const kept = await queue.ids();
    const before = log.size;
    const third = await post(await blankPng());
    assert.deepEqual(third.review, { error: "EW_ERR_REVIEW_QUEUE_FULL" });
    assert.deepEqual(await queue.ids(), kept, "the oldest entries stay");
    const shipment = await log.shipment(before);
    const event = decodeAuditEvent(Buffer.from(shipment.entries[0]!.data, "base64"));
    assert.deepEqual([event.kind, event.details["review"]], ["guard.reject", "EW_ERR_REVIEW_QUEUE_FULL"]);
  });

  it("keeps an entry whose acknowledgement names another digest (EW_ERR_REVIEW_ACK_MISMATCH) or that the hub refused", async () => {
    const ids = await queue.ids();
    const wrong = ackingHubMock((b) => ({ stored: true, id: b.id, sha256: "0".repeat(64) }));
    const round = await shipReviewEntries(queue, wrong.sink);
    assert.deepEqual(round.shipped, []);
    assert.ok(round.error instanceof EdgewardError && round.error.code === "EW_ERR_REVIEW_ACK_MISMATCH");
    const refusing: ReviewSink = {
      shipReview: () =>
        Promise.reject(new EdgewardError("EW_ERR_AGENT_HUB_REFUSED", { detail: "EW_ERR_DEVICE_REVOKED" })),
    };
    assert.ok((await shipReviewEntries(queue, refusing)).error !== undefined);
    assert.deepEqual(await queue.ids(), ids, "nothing was deleted");
  });

  it("ships entries oldest first with their SHA-256 and deletes each only after its acknowledgement", async () => {
    const ids = await queue.ids();
    const hub = ackingHubMock();
    const first = await shipReviewEntries(queue, hub.sink, 1);
    assert.deepEqual(first.shipped, [ids[0]]);
    assert.deepEqual(await queue.ids(), ids.slice(1));
    const rest = await shipReviewEntries(queue, hub.sink);
    assert.deepEqual(rest, { shipped: ids.slice(1) });
    assert.deepEqual(await queue.ids(), []);
    for (const body of hub.received) {
      const ciphertext = Buffer.from(body.ciphertext, "base64");
      assert.equal(createHash("sha256").update(ciphertext).digest("hex"), body.sha256);
      assert.ok(ciphertext.subarray(0, 21).toString().startsWith("age-encryption.org/v1"));
    }
    assert.deepEqual(
      hub.received.map((b) => b.id),
      ids,
    );
  });

  it("records a shipped round as review.ship with its ids, and a failing round once per new code", async () => {
    await post(await blankPng());
    const ids = await queue.ids();
    const shipping = new ReviewShipping(queue, log, "dev-r");
    const refusing: ReviewSink = {
      shipReview: () => Promise.reject(new EdgewardError("EW_ERR_AGENT_HUB_REFUSED", { detail: "HTTP 404" })),
    };
    const before = log.size;
    for (let i = 0; i < 3; i++) assert.equal((await shipping.round(refusing)).code, "EW_ERR_AGENT_HUB_REFUSED");
    const shipped = await shipping.round(ackingHubMock().sink);
    assert.deepEqual([shipped.shipped, shipped.code], [ids, undefined]);
    const events = (await log.shipment(before)).entries.map((e) => decodeAuditEvent(Buffer.from(e.data, "base64")));
    assert.deepEqual(
      events.filter((e) => e.kind.startsWith("review.")).map((e) => [e.kind, e.details]),
      [
        ["review.ship-fail", { code: "EW_ERR_AGENT_HUB_REFUSED" }],
        ["review.ship", { entries: ids.length, ids }],
      ],
    );
  });

  it("keeps an entry the hub refuses for its quota, logs the refusal once, and pauses shipping until later", async () => {
    await post(await blankPng());
    const ids = await queue.ids();
    assert.ok(ids.length > 0);
    let clock = Date.parse("2026-05-01T12:00:00.000Z");
    const shipping = new ReviewShipping(queue, log, "dev-r", () => new Date(clock));
    let calls = 0;
    // quotaHubMock: the hub's 429 as the agent's HubClient turns it into an error (the hub's code leads the detail).
    const quotaHubMock: ReviewSink = {
      shipReview: () => {
        calls++;
        return Promise.reject(
          new EdgewardError("EW_ERR_AGENT_HUB_REFUSED", {
            detail: "EW_ERR_REVIEW_QUOTA_EXCEEDED (POST /v1/device/review)",
          }),
        );
      },
    };
    const before = log.size;
    const first = await shipping.round(quotaHubMock);
    assert.deepEqual(
      [first.shipped, first.code, first.hubCode],
      [[], "EW_ERR_AGENT_HUB_REFUSED", "EW_ERR_REVIEW_QUOTA_EXCEEDED"],
    );
    const paused = await shipping.round(quotaHubMock);
    assert.deepEqual(paused.deferredUntil, new Date(clock + REVIEW_RETRY_LATER_MS));
    assert.equal(calls, 1, "nothing is sent while paused");
    clock += REVIEW_RETRY_LATER_MS;
    await shipping.round(quotaHubMock);
    assert.equal(calls, 2, "it tries again once the pause is over");
    assert.deepEqual(await queue.ids(), ids, "the refused entries stay queued");
    clock += REVIEW_RETRY_LATER_MS;
    assert.deepEqual((await shipping.round(ackingHubMock().sink)).shipped, ids);
    const events = (await log.shipment(before)).entries.map((e) => decodeAuditEvent(Buffer.from(e.data, "base64")));
    assert.deepEqual(
      events.filter((e) => e.kind.startsWith("review.")).map((e) => [e.kind, e.details]),
      [
        ["review.ship-fail", { code: "EW_ERR_AGENT_HUB_REFUSED", hubCode: "EW_ERR_REVIEW_QUOTA_EXCEEDED" }],
        ["review.ship", { entries: ids.length, ids }],
      ],
    );
  });
});
