// TUF metadata through the agent's own hub client (a real EgressClient over TLS to a local node:https server with a
// throwaway openssl PKI): read into memory, bounded by tuf-js's length (TUF 1.0 §5.4.1), a non-200 answer as
// tuf-js's HTTP error.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { DownloadHTTPError, DownloadLengthMismatchError } from "tuf-js/dist/error.js";
import { tempDir } from "@edgeward/testkit";
import { EgressClient, HubClient, HubFetcher } from "@edgeward/agent";
import { makeTestPki } from "./pki.ts";

describe("TUF metadata through the hub client", () => {
  const dir = tempDir("edgeward-tuf-fetcher-");
  const doc = Buffer.from(JSON.stringify({ signed: { version: 3 }, pad: "x".repeat(50_000) }));
  let server: Server;
  let fetcher: HubFetcher;
  let base = "";
  // Connections the server saw close: the client keeps its connection alive after an answer it read whole.
  let closed = 0;

  before(async () => {
    const pki = makeTestPki(dir.path);
    server = createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
      if (req.url?.endsWith("4.root.json")) {
        res.writeHead(404).end("{}");
        return;
      }
      res.writeHead(200, { "content-length": doc.length });
      // In pieces, so a reader that stops early is seen to.
      for (let i = 0; i < doc.length; i += 1000) res.write(doc.subarray(i, i + 1000));
      res.end();
    });
    server.on("secureConnection", (socket) => socket.on("close", () => closed++));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    base = `https://127.0.0.1:${port}`;
    fetcher = new HubFetcher(new HubClient(new EgressClient({ allow: [`127.0.0.1:${port}`], ca: pki.caPem }), base));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    dir[Symbol.dispose]();
  });

  it("reads a metadata file into memory", async () => {
    assert.deepEqual(await fetcher.downloadBytes(`${base}/v1/device/tuf/timestamp.json`, 100_000), doc);
  });

  it("stops reading past tuf-js's length bound, with tuf-js's own length error (TUF 1.0 §5.4.1)", async () => {
    const before = closed;
    await assert.rejects(
      fetcher.downloadBytes(`${base}/v1/device/tuf/timestamp.json`, 2000),
      DownloadLengthMismatchError,
    );
    for (let i = 0; i < 100 && closed === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(closed, before + 1, "the connection was cut rather than the answer read to its end");
  });

  it("gives a non-200 answer as tuf-js's HTTP error with its status (a 404 ends root rotation)", async () => {
    await assert.rejects(
      fetcher.downloadBytes(`${base}/v1/device/tuf/4.root.json`, 10_000),
      (err: unknown) => err instanceof DownloadHTTPError && err.statusCode === 404,
    );
  });
});
