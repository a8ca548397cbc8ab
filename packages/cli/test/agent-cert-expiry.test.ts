import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { filesHolding, servingRelease, syntheticMatMulModel, tempDir } from "@edgeward/testkit";
import { hubAndDevice, type HubAndDevice } from "./helpers/hub-in-process.ts";

// A device certificate that really expires (ARCHITECTURE.md "The flows" 3: a pass renews the certificate, also after
// it expired): the hub runs on a clock set back by a day less LIFE_S, so the certificates it issues (a day long by
// its clock, the enrolment's included) end LIFE_S seconds after they are issued by every other clock, the agent's
// and OpenSSL's included. Such a certificate is always past half its lifetime, so every pass renews it. The agent,
// a real `edgeward agent run` process, checks the hub every CYCLE_S seconds, so at its next cycle its certificate
// has expired; it must renew by attesting alone and then take a release over mTLS as before.
const DAY_MS = 24 * 3600_000;
const LIFE_S = 4;
const CYCLE_S = 7;

describe("an agent whose device certificate expired renews it by attestation (swtpm)", { timeout: 300_000 }, () => {
  const dir = tempDir("edgeward-cert-expiry-");
  let behindMs = 0;
  let fleet: HubAndDevice;

  before(async () => {
    behindMs = DAY_MS - LIFE_S * 1000;
    fleet = await hubAndDevice(dir.path, "line-e", { clock: { now: () => new Date(Date.now() - behindMs) } });
  });
  after(async () => {
    await fleet?.close();
    dir[Symbol.dispose]();
  });

  it("attests with no valid certificate once its own has expired, gets a new one, and keeps working", async () => {
    const certificate = () => new X509Certificate(readFileSync(join(fleet.state, "cert.pem")));
    const enrolled = certificate();
    const agent = await fleet.agent(["matmul/1"], CYCLE_S * 1000);
    // Its first cycle attests (the enrolment certificate is past half its life, or over) and gets one that ends
    // LIFE_S seconds later.
    await agent.until("a short certificate", () => certificate().serialNumber !== enrolled.serialNumber, 60_000);
    const short = certificate();
    const end = new Date(short.validTo).getTime();
    assert.ok(end - Date.now() <= LIFE_S * 1000, `the certificate ends ${short.validTo}`);
    // The next cycle comes after that end: the agent holds an expired certificate and must renew by attesting.
    await agent.until("a renewal", () => certificate().serialNumber !== short.serialNumber, 60_000, 100);
    assert.ok(Date.now() > end, "the renewal came after the certificate had expired");
    const renewal = fleet
      .deviceLog()
      .filter((e) => e.kind.startsWith("attest."))
      .at(-1);
    assert.equal(renewal?.kind, "attest.pass");
    assert.equal(renewal.details["renewed"], true);
    assert.doesNotMatch(agent.stderr(), /hub cycle: EW_ERR_/, "no cycle failed on the expired certificate");
    // From here certificates last a day again; the renewed identity takes a release over mTLS and serves it.
    behindMs = 0;
    const model = syntheticMatMulModel(16, 3);
    await fleet.publish(model, "matmul", "1");
    await agent.until("matmul/1 to serve", async () => (await servingRelease(agent)) === "matmul/1", 120_000);
    await agent.stop();
    assert.deepEqual(filesHolding([fleet.state, fleet.hub.dir], model), []);
  });
});
