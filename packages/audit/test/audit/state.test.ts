import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseState } from "@edgeward/audit";
import { seededRandom, throwsWithCode } from "@edgeward/testkit";

const GOOD = {
  version: 1,
  hub: { url: "https://hub.example", addresses: ["203.0.113.1"], allow: ["192.0.2.1:123"] },
  keys: { unwrap: { kind: "tpm", pcrs: "sha256:0,7" } },
  attestation: { result: "pass", at: "2026-11-30T00:00:00Z", maxAgeSeconds: 60 },
  cert: { file: "device.pem", caFile: "ca.pem" },
  update: { runningVersion: 2, floor: null, tufRoot: "tuf/root.json" },
  guard: { configFile: "guard.json" },
  tamper: { sources: [{ kind: "gpio", armed: true }] },
  log: { db: "audit.db", vkey: "k", checkpoint: { size: 1, acceptedByHub: false } },
  agent: { listen: [8443], dataDirs: ["/data"] },
};

const RELEASE_GUARD = {
  source: "release",
  digest: "ab".repeat(32),
  releaseDigest: "ab".repeat(32),
  stages: ["energy"],
};
const ENROLMENT = { enrolled: true, at: "2026-11-29T08:00:00.000Z" };

describe("state.json (the audit's interface to the agent, docs/audit.md)", () => {
  it("accepts a full version-1 state and a minimal one", () => {
    assert.deepEqual(parseState(JSON.stringify(GOOD)), GOOD);
    assert.deepEqual(parseState('{"version":1}'), { version: 1 });
  });

  it("accepts the guard shipped inside the release, the running target and the enrolment time", () => {
    const s = { ...GOOD, guard: RELEASE_GUARD, update: { ...GOOD.update, target: "cam/3" }, enrolment: ENROLMENT };
    assert.deepEqual(parseState(JSON.stringify(s)), s);
    // Fields the agent could not fill stay out; promise 8 then fails and says which.
    assert.deepEqual(parseState(JSON.stringify({ version: 1, guard: { source: "release" } })), {
      version: 1,
      guard: { source: "release" },
    });
  });

  const broken: [string, unknown][] = [
    ["version 2", { ...GOOD, version: 2 }],
    ["a hub without url", { ...GOOD, hub: {} }],
    ["an unknown key kind", { ...GOOD, keys: { unwrap: { kind: "hsm" } } }],
    ["an attestation result of maybe", { ...GOOD, attestation: { result: "maybe", at: "2026-01-01" } }],
    ["an attestation time that is not a date", { ...GOOD, attestation: { result: "pass", at: "yesterday" } }],
    ["a negative floor", { ...GOOD, update: { runningVersion: 1, floor: -1 } }],
    ["tamper sources that are not a list", { ...GOOD, tamper: { sources: {} } }],
    ["a tamper source armed as a string", { ...GOOD, tamper: { sources: [{ kind: "gpio", armed: "yes" }] } }],
    ["a listen port of 70000", { ...GOOD, agent: { listen: [70000] } }],
    ["a guard source other than release", { ...GOOD, guard: { ...RELEASE_GUARD, source: "disk" } }],
    ["guard stages that are not a list", { ...GOOD, guard: { ...RELEASE_GUARD, stages: "energy" } }],
    ["a guard digest that is a number", { ...GOOD, guard: { ...RELEASE_GUARD, digest: 5 } }],
    ["an empty running target", { ...GOOD, update: { ...GOOD.update, target: "" } }],
    ["an enrolment time that is not a date", { ...GOOD, enrolment: { enrolled: true, at: "at enrolment" } }],
    ["an array", [1]],
  ];
  for (const [what, value] of broken)
    it(`when it has ${what}, rejects with EW_ERR_AUDIT_STATE`, () =>
      throwsWithCode(() => parseState(JSON.stringify(value)), "EW_ERR_AUDIT_STATE"));

  it("2,000 seeded corruptions of the text: each parses or is refused with EW_ERR_AUDIT_STATE", () => {
    const text = JSON.stringify(GOOD);
    const random = seededRandom(0x5eed);
    for (let i = 0; i < 2000; i++) {
      const chars = [...text];
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++)
        chars[Math.floor(random() * chars.length)] = String.fromCharCode(32 + Math.floor(random() * 95));
      try {
        parseState(chars.join(""));
      } catch (err) {
        assert.equal((err as { code?: string }).code, "EW_ERR_AUDIT_STATE", `run ${i}: ${String(err)}`);
      }
    }
  });
});
