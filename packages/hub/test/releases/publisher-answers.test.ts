// The publisher (releases/publisher.ts, what `edgeward model publish` runs) stops at the first hub answer that is
// not the API's: no escrow recipient at /v1/hub, no upload path for the release or its guard, an upload answer that
// is not JSON or an error without a code. Each step after the bad answer must not run.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generateIdentity } from "@edgeward/core";
import { publishRelease, type PublishOptions } from "@edgeward/hub";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { startMalformedHub, type CannedAnswer } from "../helpers/malformed-hub.ts";

const ESCROW = generateIdentity("x25519").recipient;
const SIGNING_KEY = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;

type Route = Partial<Record<"GET /v1/hub" | "POST /v1/releases" | "PUT", CannedAnswer>>;

const ok = (value: unknown): CannedAnswer => ({ status: 200, body: JSON.stringify(value) });
const HUB: Route = { "GET /v1/hub": ok({ escrowRecipient: ESCROW }) };
const RELEASE: Route = { "POST /v1/releases": ok({ uploadPath: "/v1/releases/m/1.0.0/payload" }) };

/**
 * Publishes a small file to a stand-in hub answering `route`, rejecting as publishing does; `seen` receives the
 * requests the stand-in got, also when publishing failed.
 */
async function publishTo(route: Route, extra: Partial<PublishOptions> = {}, seen: string[] = []): Promise<string[]> {
  using dir = tempDir("edgeward-publish-answers-");
  const model = join(dir.path, "model.bin");
  writeFileSync(model, randomBytes(4096));
  const answer = (req: IncomingMessage): CannedAnswer => {
    const key = req.method === "PUT" ? "PUT" : (`${req.method} ${req.url}` as keyof Route);
    return route[key] ?? { status: 404, body: '{"code":"EW_ERR_USAGE","message":"unexpected"}' };
  };
  await using hub = await startMalformedHub(answer);
  const options: PublishOptions = {
    ...{ hub: hub.url, ca: hub.ca, token: "t", model, name: "m", version: "1.0.0" },
    ...{ kind: "package", groups: [], signingKey: SIGNING_KEY, sealed: false },
    ...extra,
  };
  try {
    await publishRelease(options);
  } finally {
    seen.push(...hub.requests);
  }
  return seen;
}

describe("publishRelease: hub answers that are not the API's", () => {
  it("a hub answering as the API does takes the manifest and then the payload", async () => {
    const requests = await publishTo({ ...HUB, ...RELEASE, PUT: ok({ name: "m", version: "1.0.0" }) });
    assert.deepEqual(requests, ["GET /v1/hub", "POST /v1/releases", "PUT /v1/releases/m/1.0.0/payload"]);
  });

  it("when /v1/hub has no escrow recipient, rejects with EW_ERR_HUB_RESPONSE_INVALID before sending a manifest", async () => {
    for (const facts of [{}, { escrowRecipient: 1 }]) {
      const seen: string[] = [];
      await rejectsWithCode(
        publishTo({ ...RELEASE, "GET /v1/hub": ok(facts) }, {}, seen),
        "EW_ERR_HUB_RESPONSE_INVALID",
      );
      assert.deepEqual(seen, ["GET /v1/hub"]);
    }
  });

  it("when the release answer has no uploadPath, rejects with EW_ERR_HUB_RESPONSE_INVALID and uploads nothing", async () => {
    for (const release of [{}, { uploadPath: null }, []]) {
      const seen: string[] = [];
      await rejectsWithCode(
        publishTo({ ...HUB, "POST /v1/releases": ok(release) }, {}, seen),
        "EW_ERR_HUB_RESPONSE_INVALID",
      );
      assert.deepEqual(seen, ["GET /v1/hub", "POST /v1/releases"]);
    }
  });

  it("when a release with a guard gets no guard.uploadPath, rejects with EW_ERR_HUB_RESPONSE_INVALID and uploads nothing", async () => {
    const guard = { bundle: new Uint8Array(randomBytes(256)), configSha256: "ab".repeat(32) };
    const seen: string[] = [];
    await rejectsWithCode(
      publishTo({ ...HUB, ...RELEASE }, { kind: "model", sealed: true, guard }, seen),
      "EW_ERR_HUB_RESPONSE_INVALID",
    );
    assert.deepEqual(seen, ["GET /v1/hub", "POST /v1/releases"]);
  });

  it("when the upload answer is not JSON or an error without a registered code, rejects with EW_ERR_HUB_RESPONSE_INVALID", async () => {
    const answers: CannedAnswer[] = [
      { status: 200, body: "stored" },
      { status: 500, body: '{"message":"disk full"}' },
      { status: 409, body: '{"code":"EW_ERR_MADE_UP"}' },
    ];
    for (const PUT of answers)
      await rejectsWithCode(publishTo({ ...HUB, ...RELEASE, PUT }), "EW_ERR_HUB_RESPONSE_INVALID");
  });
});
