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
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  before(async () => {
    pki = makeTestPki(dir.path);
    server = createServer(
      { cert: pki.serverCert, key: pki.serverKey, ca: pki.caPem, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        if (req.url === "/redirect") {
          res.writeHead(302, { location: "https://example.org/" }).end();
          return;
        }
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ path: req.url, client: peer.subject?.CN ?? null }));
      },
    );
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
});
