import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { after, before, describe, it } from "node:test";
import { rejectsWithCode, tempDir, throwsWithCode } from "@edgeward/testkit";
import { createCsr, EgressClient } from "@edgeward/agent";
import { makeTestPki, type TestPki } from "./pki.ts";

describe("the agent's egress client", () => {
  const dir = tempDir("edgeward-egress-");
  let pki: TestPki;
  let server: Server;
  let port = 0;
  // TLS connections the server accepted, and how many of them have closed.
  let handshakes = 0;
  let closed = 0;
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  before(async () => {
    pki = makeTestPki(dir.path);
    server = createServer(
      { cert: pki.serverCert, key: pki.serverKey, ca: pki.caPem, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        if (req.url === "/slow") {
          setTimeout(() => res.end("{}"), 400);
          return;
        }
        if (req.url === "/redirect") {
          res.writeHead(302, { location: "https://example.org/" }).end();
          return;
        }
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ path: req.url, client: peer.subject?.CN ?? null }));
      },
    );
    server.on("secureConnection", (socket: TLSSocket) => {
      handshakes++;
      socket.on("close", () => closed++);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    dir[Symbol.dispose]();
  });

  it("talks to the allow-listed hub over TLS with the device certificate (mTLS)", async () => {
    const cert = pki.issue(createCsr(key, "device-7"));
    const client = new EgressClient({
      allow: [`127.0.0.1:${port}`],
      ca: pki.caPem,
      identity: { certificate: cert, key },
    });
    const res = await client.fetch(`https://127.0.0.1:${port}/v1/hub`);
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body.toString()), { path: "/v1/hub", client: "device-7" });
  });

  it("refuses every other host, plain http and credentials in a URL, and reports each refusal", async () => {
    const refused: string[] = [];
    const client = new EgressClient({
      allow: [`127.0.0.1:${port}`],
      ca: pki.caPem,
      onRefusal: (url, reason) => refused.push(`${url} ${reason}`),
    });
    await rejectsWithCode(client.fetch("https://example.org/"), "EW_ERR_AGENT_EGRESS_DENIED");
    await rejectsWithCode(client.fetch(`https://127.0.0.1:${port + 1}/`), "EW_ERR_AGENT_EGRESS_DENIED");
    await rejectsWithCode(client.fetch(`http://127.0.0.1:${port}/`), "EW_ERR_AGENT_EGRESS_DENIED");
    await rejectsWithCode(client.fetch(`https://u:p@127.0.0.1:${port}/`), "EW_ERR_AGENT_EGRESS_DENIED");
    await rejectsWithCode(client.fetch("not a url"), "EW_ERR_AGENT_EGRESS_DENIED");
    assert.equal(refused.length, 5);
    assert.match(refused[0] ?? "", /example\.org:?\d* is not in the allow-list/);
  });

  it("follows no redirect, and trusts no server outside the hub CA", async () => {
    const client = new EgressClient({ allow: [`127.0.0.1:${port}`], ca: pki.caPem });
    assert.equal((await client.fetch(`https://127.0.0.1:${port}/redirect`)).status, 302);
    using otherDir = tempDir("edgeward-egress-other-");
    const stranger = new EgressClient({ allow: [`127.0.0.1:${port}`], ca: makeTestPki(otherDir.path).caPem });
    await rejectsWithCode(stranger.fetch(`https://127.0.0.1:${port}/`), "EW_ERR_AGENT_HUB_UNREACHABLE");
    throwsWithCode(() => new EgressClient({ allow: [], ca: "not a pem" }), "EW_ERR_AGENT_CONFIG");
  });

  it("keeps one connection for its requests, and release() or close() end it", async () => {
    const cert = pki.issue(createCsr(key, "device-8"));
    const client = new EgressClient({
      allow: [`127.0.0.1:${port}`],
      ca: pki.caPem,
      identity: { certificate: cert, key },
    });
    const [h0, c0] = [handshakes, closed];
    for (let i = 0; i < 3; i++) assert.equal((await client.fetch(`https://127.0.0.1:${port}/v1/hub`)).status, 200);
    assert.equal(handshakes - h0, 1, "three requests, one TLS handshake");
    client.release();
    await waitFor(() => closed - c0 === 1);
    // A released client still works, on a connection that closes once its request ends.
    assert.equal((await client.fetch(`https://127.0.0.1:${port}/v1/hub`)).status, 200);
    await waitFor(() => closed - c0 === 2);
    assert.equal(handshakes - h0, 2);
    const other = new EgressClient({ allow: [`127.0.0.1:${port}`], ca: pki.caPem });
    await other.fetch(`https://127.0.0.1:${port}/v1/hub`);
    other.close();
    await waitFor(() => closed - c0 === 3);
  });

  it("gives a request its own timeout: an answer slower than it is EW_ERR_AGENT_HUB_UNREACHABLE", async () => {
    const client = new EgressClient({ allow: [`127.0.0.1:${port}`], ca: pki.caPem, timeoutMs: 100 });
    await rejectsWithCode(client.fetch(`https://127.0.0.1:${port}/slow`), "EW_ERR_AGENT_HUB_UNREACHABLE");
    assert.equal((await client.fetch(`https://127.0.0.1:${port}/slow`, { timeoutMs: 2000 })).status, 200);
    client.close();
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), "condition not reached in 2 s");
}
