import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { DownloadHTTPError, DownloadLengthMismatchError } from "tuf-js/dist/error.js";
import { HubFetcher, type HubClient } from "@edgeward/agent";

/** A hub client whose every GET answers `status` with `body` in 1,000-byte pieces; `destroyed` says if it was cut. */
function hub(status: number, body: Uint8Array): { client: HubClient; cut: () => boolean } {
  let stream: Readable | undefined;
  const client = {
    get: () => {
      const pieces = Array.from({ length: Math.ceil(body.length / 1000) }, (_, i) =>
        body.subarray(i * 1000, (i + 1) * 1000),
      );
      stream = Readable.from(pieces);
      return Promise.resolve(Object.assign(stream, { statusCode: status, headers: {} }) as unknown as IncomingMessage);
    },
  } as unknown as HubClient;
  return { client, cut: () => stream?.destroyed === true };
}

describe("TUF metadata through the hub client", () => {
  const doc = Buffer.from(JSON.stringify({ signed: { version: 3 }, pad: "x".repeat(5000) }));

  it("reads a metadata file into memory", async () => {
    const { client } = hub(200, doc);
    assert.deepEqual(
      await new HubFetcher(client).downloadBytes("https://hub/v1/device/tuf/timestamp.json", 10_000),
      doc,
    );
  });

  it("stops reading past tuf-js's length bound, with tuf-js's own length error (TUF 1.0 §5.4.1)", async () => {
    const { client, cut } = hub(200, doc);
    await assert.rejects(
      new HubFetcher(client).downloadBytes("https://hub/v1/device/tuf/timestamp.json", 2000),
      DownloadLengthMismatchError,
    );
    assert.ok(cut(), "the answer was cut off rather than read to its end");
  });

  it("gives a non-200 answer as tuf-js's HTTP error with its status (a 404 ends root rotation)", async () => {
    const { client } = hub(404, Buffer.from("{}"));
    await assert.rejects(
      new HubFetcher(client).downloadBytes("https://hub/v1/device/tuf/4.root.json", 10_000),
      (err: unknown) => err instanceof DownloadHTTPError && err.statusCode === 404,
    );
  });
});
