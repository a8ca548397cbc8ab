// state.json built from a real state directory (swtpm-provisioned, a stored release, hub.json) carries the facts
// the audit's network and host checks read (docs/audit.md "The state directory"): the hub's addresses, the
// egress allow-list as IP:PORT, where the agent listens, the folders it writes, and when it enrolled. The audit then
// runs over it: promise 3 against a ruleset loaded in a network namespace, promise 5 and the listening-ports check
// against a fake host tree.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import {
  CHECKS,
  FAKE_NFT_RULESET,
  nftablesRuleset,
  parseHostPort,
  parseHubUrl,
  parseState,
  resolveEndpoints,
  runAudit,
  type AuditState,
  type CheckResult,
} from "@edgeward/audit";
import { generateSigningKey } from "@edgeward/core";
import { loadedRulesetJson, putFile, syntheticMatMulModel, tempDir } from "@edgeward/testkit";
import {
  Agent,
  AUDIT_STATE_FILE,
  loadDevice,
  parseConfig,
  ReleaseStore,
  saveDevice,
  writeAuditState,
  writeJson,
  VersionFloor,
  type AuditStateInputs,
  type StateLayout,
} from "@edgeward/agent";
import { countingReads, deviceFor, SLOW, useProvisionedDevice } from "./helpers.ts";
import { makeRelease, storeRelease } from "./releases.ts";

const HUB = "https://127.0.0.1:8443";
const ALLOW = ["ntp.example:123", "192.0.2.7:123", "[2001:db8::5]:8443", "gone.example"];
/** A stand-in resolver (this machine has no DNS): ntp.example has one address, gone.example none. */
const resolveMock = (host: string): Promise<readonly string[]> =>
  host === "ntp.example" ? Promise.resolve(["192.0.2.8"]) : Promise.reject(new Error("ENOTFOUND"));

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
const TCP_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
// proc(5) /proc/net/tcp: a LISTEN (0A) socket on 0.0.0.0:8443 (0x20FB).
const LISTEN_8443 =
  "   0: 00000000:20FB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1 0 100 0 0 10 0\n";

describe("state.json from a real state directory, audited", SLOW, () => {
  const fixture = useProvisionedDevice();
  let layout: StateLayout;
  before(async () => {
    ({ layout } = fixture.device);
    const record = await loadDevice(layout);
    await saveDevice(layout, { ...record, deviceId: "dev-7", hubUrl: HUB });
    await writeJson(layout.hub, { hubUrl: HUB, logVerifierKey: "x+00000000+AA==" });
    const r = await makeRelease(syntheticMatMulModel(16, 4), record.recipient, generateSigningKey(), {
      id: "r3",
      version: "3",
    });
    await storeRelease(new ReleaseStore(layout), r);
    await new ReleaseStore(layout).switchTo("r3");
    await writeJson(layout.status, { serving: { name: "matmul", version: "3", releaseId: "r3" } });
  });

  /** Rebuilds state.json with `inputs` and reads it back through the audit's own parser. */
  async function stateWith(inputs: AuditStateInputs): Promise<AuditState> {
    await writeAuditState(layout, inputs);
    return parseState(readFileSync(join(layout.root, AUDIT_STATE_FILE), "utf8"));
  }

  /** A fake host tree whose /proc/net has the agent's port listening on all addresses. */
  function hostTree(root: string): void {
    putFile(root, "/proc/net/tcp", TCP_HEADER + LISTEN_8443);
    for (const p of ["tcp6", "udp", "udp6"]) putFile(root, `/proc/net/${p}`, TCP_HEADER);
  }

  async function audit(root: string, ids: string[]): Promise<readonly CheckResult[]> {
    const checks = CHECKS.filter((c) => ids.includes(c.id));
    return (await runAudit({ root, stateDir: layout.root, checks })).checks;
  }

  it("names the hub's address, the allowed peers as IP:PORT, the listen port, the target and the enrolment", async () => {
    const s = await stateWith({ allow: ALLOW, resolve: resolveMock, address: tcp(8443) });
    assert.deepEqual(s.hub, {
      url: HUB,
      addresses: ["127.0.0.1"],
      // gone.example does not resolve: left out, so the audit reports a rule that still allows it.
      allow: ["192.0.2.8:123", "192.0.2.7:123", "[2001:db8::5]:8443"],
    });
    assert.deepEqual(s.agent, { listen: [8443], dataDirs: [] });
    assert.equal(s.update?.target, "matmul/3");
    assert.deepEqual(s.enrolment, { enrolled: true, at: statSync(layout.hub).mtime.toISOString() });
  });

  it("takes the serving release's floor as the agent last read it, and reads the TPM when the agent holds none", async () => {
    const tpm = deviceFor(fixture.device.tpm);
    const floor = await VersionFloor.forRelease(tpm, "matmul");
    await floor.raise(3);
    const counted = countingReads(tpm);
    const known = await stateWith({ tpm: counted.device, knownFloor: (name) => (name === "matmul" ? 7n : undefined) });
    assert.equal(known.update?.floor, 7);
    assert.equal(counted.reads, 0);
    const read = await stateWith({ tpm: counted.device, knownFloor: () => undefined });
    assert.equal(read.update?.floor, 3);
    assert.equal(counted.reads, 1);
  });

  it("promise 3 passes against the generated rules only when state.json names the allowed peers", async () => {
    using root = tempDir("edgeward-state-audit-");
    const [hub, ...peers] = await resolveEndpoints([
      parseHubUrl(HUB),
      ...["192.0.2.8:123", "192.0.2.7:123", "[2001:db8::5]:8443"].map(parseHostPort),
    ]);
    putFile(root.path, FAKE_NFT_RULESET, loadedRulesetJson(nftablesRuleset({ hub: hub!, allow: peers }), root.path));
    await stateWith({ allow: ALLOW, resolve: resolveMock });
    const [pass] = await audit(root.path, ["promise-3-egress"]);
    assert.equal(pass?.status, "pass", pass?.evidence.join("\n"));
    assert.match(pass.evidence.join("\n"), /accepts 127\.0\.0\.1 port 8443/);
    await stateWith({});
    const [fail] = await audit(root.path, ["promise-3-egress"]);
    assert.equal(fail?.status, "fail");
    assert.match(fail.evidence.join("\n"), /allowed beyond the hub: 192\.0\.2\.8:123, 192\.0\.2\.7:123/);
  });

  it("the listening-ports check accepts the agent's own port only once state.json names it", async () => {
    using root = tempDir("edgeward-state-audit-");
    hostTree(root.path);
    await stateWith({ address: tcp(8443) });
    const [pass] = await audit(root.path, ["host-listening-ports"]);
    assert.equal(pass?.status, "pass", pass?.evidence.join("\n"));
    await stateWith({});
    const [fail] = await audit(root.path, ["host-listening-ports"]);
    assert.equal(fail?.status, "fail");
    assert.match(fail.evidence.join("\n"), /tcp port 8443 on all addresses/);
  });

  it("promise 5 scans the folder of the agent's Unix socket: a frame left there fails it", async () => {
    using root = tempDir("edgeward-state-audit-");
    mkdirSync(join(root.path, "run/edgeward"), { recursive: true });
    const s = await stateWith({ address: "/run/edgeward/agent.sock" });
    assert.deepEqual(s.agent, { listen: [], dataDirs: ["/run/edgeward"] });
    const [pass] = await audit(root.path, ["promise-5-no-raw-data"]);
    assert.equal(pass?.status, "pass", pass?.evidence.join("\n"));
    assert.match(pass.evidence.join("\n"), /run\/edgeward/);
    writeFileSync(join(root.path, "run/edgeward/frame.bin"), PNG);
    const [fail] = await audit(root.path, ["promise-5-no-raw-data"]);
    assert.equal(fail?.status, "fail");
    assert.match(fail.evidence.join("\n"), /image: .*run\/edgeward\/frame\.bin/);
  });

  it("a running agent records its Unix socket's folder and its allow-list once it listens", async () => {
    using dir = tempDir("edgeward-sock-");
    const agent = await Agent.start({
      tpm: deviceFor(fixture.device.tpm),
      layout,
      config: parseConfig({ allow: ["192.0.2.7:123"] }),
    });
    try {
      const before = parseState(readFileSync(join(layout.root, AUDIT_STATE_FILE), "utf8"));
      assert.deepEqual(before.hub?.allow, ["192.0.2.7:123"]);
      assert.equal(before.agent?.dataDirs?.length ?? 0, 0, "not listening yet");
      await agent.app.listen({ path: join(dir.path, "agent.sock") });
      const deadline = Date.now() + 10_000;
      let s = before;
      while (s.agent?.dataDirs?.[0] !== dir.path && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        s = parseState(readFileSync(join(layout.root, AUDIT_STATE_FILE), "utf8"));
      }
      assert.deepEqual(s.agent, { listen: [], dataDirs: [dir.path] });
    } finally {
      await agent.close();
    }
  });
});

function tcp(port: number): { address: string; family: string; port: number } {
  return { address: "127.0.0.1", family: "IPv4", port };
}
