import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { EdgewardError } from "@edgeward/core";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import {
  installTarget,
  ReleaseStore,
  stateLayout,
  type ActivateDeps,
  type HubClient,
  type ReleaseMeta,
} from "@edgeward/agent";

const payload = randomBytes(200_000);
const meta: ReleaseMeta = {
  releaseId: "r-1",
  name: "det",
  version: "2",
  floor: "2",
  kind: "model",
  sealed: true,
  targetName: "det/2",
  length: payload.length,
  sha256: createHash("sha256").update(payload).digest("hex"),
};

/** A hub answer for a download: `bytes` in pieces, held until `release` resolves. */
function answer(bytes: Uint8Array, release: Promise<unknown>): IncomingMessage {
  async function* body(): AsyncGenerator<Uint8Array> {
    yield bytes.subarray(0, 1000);
    await release;
    yield bytes.subarray(1000);
  }
  return Object.assign(Readable.from(body()), { statusCode: 200, headers: {} }) as unknown as IncomingMessage;
}

/** installTarget's dependencies with a fake hub: `target` serves downloads and `releaseKey` answers key requests. */
function deps(dir: string, hub: Partial<HubClient>) {
  const layout = stateLayout(dir);
  const activation = {
    releases: new ReleaseStore(layout),
    layout,
    floor: () => Promise.resolve({ check: () => Promise.resolve() }),
  } as unknown as ActivateDeps;
  return {
    activation,
    client: hub as HubClient,
    tufDir: layout.tuf,
    tuf: Promise.resolve({ target: () => Promise.resolve(meta) }),
    logKey: "unused",
    attest: () => Promise.resolve(),
    passFresh: () => true,
  };
}

describe("installing a release: download and key release side by side", () => {
  it("asks for the key while the ciphertext is still downloading", async () => {
    using dir = tempDir("edgeward-install-order-");
    let asked!: () => void;
    const keyAsked = new Promise<void>((r) => (asked = r));
    const hub: Partial<HubClient> = {
      // The download finishes only once the key was asked for (or after 2 s, which the test then catches).
      target: () => Promise.resolve(answer(payload, Promise.race([keyAsked, sleep(2000)]))),
      releaseKey: () => {
        asked();
        return Promise.reject(new EdgewardError("EW_ERR_AGENT_HUB_REFUSED", { detail: "EW_ERR_KEY_RELEASE_POLICY" }));
      },
    };
    const t0 = Date.now();
    await rejectsWithCode(installTarget(deps(dir.path, hub), "det/2"), "EW_ERR_AGENT_HUB_REFUSED");
    assert.ok(Date.now() - t0 < 1500, "the download did not wait for the key request to be made after it");
  });

  it("with both failing, reports the download's code, as if they had run in turn", async () => {
    using dir = tempDir("edgeward-install-order-");
    const hub: Partial<HubClient> = {
      // Cut short: the answer ends 1,000 bytes in.
      target: () => Promise.resolve(answer(payload.subarray(0, 1000), Promise.resolve())),
      releaseKey: () => Promise.reject(new EdgewardError("EW_ERR_AGENT_HUB_REFUSED")),
    };
    await rejectsWithCode(installTarget(deps(dir.path, hub), "det/2"), "EW_ERR_AGENT_DOWNLOAD_INCOMPLETE");
  });

  it("with the download whole, reports the key release's refusal and keeps the checked ciphertext", async () => {
    using dir = tempDir("edgeward-install-order-");
    const hub: Partial<HubClient> = {
      target: () => Promise.resolve(answer(payload, Promise.resolve())),
      releaseKey: () => Promise.reject(new EdgewardError("EW_ERR_AGENT_HUB_REFUSED")),
    };
    const d = deps(dir.path, hub);
    await rejectsWithCode(installTarget(d, "det/2"), "EW_ERR_AGENT_HUB_REFUSED");
    assert.equal(await d.activation.releases.header(meta.releaseId), undefined, "no header without a key");
    assert.deepEqual(readFileSync(d.activation.releases.paths(meta.releaseId).payload), payload);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
