import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { nftablesRuleset, parseHostPort, parseHubUrl, resolveEndpoints } from "@edgeward/audit";
import { rejectsWithCode, tempDir, throwsWithCode } from "@edgeward/testkit";

const PROBE = new URL("./probe.ts", import.meta.url).pathname;

/** Runs `nft -c -f` (check only, no kernel change) on `ruleset`; returns its status and stderr. */
function nftCheck(ruleset: string): { status: number | null; stderr: string } {
  using dir = tempDir();
  const file = join(dir.path, "egress.nft");
  writeFileSync(file, ruleset);
  const r = spawnSync("nft", ["-c", "-f", file], { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

/** How long the probe waits for a connection that must succeed, and for one the ruleset should drop. */
const CONNECT_MS = 20_000;
const DROP_MS = 1_500;

/**
 * Runs `script` under `unshare -rn` (a new user and network namespace, so nothing changes on this machine) and
 * parses the probe's JSON line. Bounded: a probe that hangs fails the test after a minute, with what it printed.
 */
function inNamespace(script: string): Record<string, string> {
  const r = spawnSync("unshare", ["-rn", "sh", "-c", script], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, `probe exited ${r.status} (signal ${r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}

describe("nftables egress ruleset (promise 3)", () => {
  it("is accepted by nft -c, with an inet table whose output chain drops by default", async () => {
    // A stand-in resolver: this machine has no DNS. IP literals below bypass it.
    const resolver = (): Promise<string[]> => Promise.resolve(["203.0.113.10", "2001:db8::10"]);
    const [hub, ntp, v6] = await resolveEndpoints(
      [
        parseHubUrl("https://hub.example:8443/api"),
        parseHostPort("192.0.2.7:123"),
        parseHostPort("[2001:db8::5]:8443"),
      ],
      resolver,
    );
    const text = nftablesRuleset({ hub: hub!, allow: [ntp!, v6!], dns: true });
    assert.deepEqual(nftCheck(text), { status: 0, stderr: "" });
    assert.match(text, /table inet edgeward_egress \{/);
    assert.match(text, /type filter hook output priority filter; policy drop;/);
    assert.match(text, /ip daddr 203\.0\.113\.10 tcp dport 8443 accept/);
    assert.match(text, /ip6 daddr 2001:db8::10 tcp dport 8443 accept/);
    assert.match(text, /ip6 daddr 2001:db8::5 tcp dport 8443 accept/);
    assert.match(text, /ip daddr 192\.0\.2\.7 tcp dport 123 accept/);
    assert.match(text, /th dport 53 accept/);
  });

  it("allows DNS only when asked", async () => {
    const [hub] = await resolveEndpoints([parseHubUrl("https://10.1.2.3")]);
    const text = nftablesRuleset({ hub: hub! });
    assert.doesNotMatch(text, /dport 53/);
    assert.match(text, /ip daddr 10\.1\.2\.3 tcp dport 443 accept/);
    assert.equal(nftCheck(text).status, 0);
  });

  it("loaded in a fresh network namespace: the hub's loopback port connects, another loopback port is dropped", async () => {
    const [hub] = await resolveEndpoints([parseHubUrl("https://127.0.0.1:18443")]);
    using dir = tempDir();
    const file = join(dir.path, "egress.nft");
    writeFileSync(file, nftablesRuleset({ hub: hub!, loopback: false }));
    // The allowed port may take up to CONNECT_MS on a loaded machine; the dropped one is given DROP_MS.
    const script = `ip link set lo up && nft -f ${file} && exec ${process.execPath} ${PROBE} 18443=${CONNECT_MS} 18444=${DROP_MS}`;
    assert.deepEqual(inNamespace(script), { "18443": "connected", "18444": "timeout" });
    // The same probe without the ruleset connects to both: the drop above is the ruleset's doing.
    const open = `ip link set lo up && exec ${process.execPath} ${PROBE} 18443=${CONNECT_MS} 18444=${CONNECT_MS}`;
    assert.deepEqual(inNamespace(open), { "18443": "connected", "18444": "connected" });
  });

  it("when the hub is not an https URL or a peer not HOST:PORT, fails with EW_ERR_EGRESS_ENDPOINT", async () => {
    throwsWithCode(() => parseHubUrl("http://hub.example"), "EW_ERR_EGRESS_ENDPOINT");
    throwsWithCode(() => parseHubUrl("not a url"), "EW_ERR_EGRESS_ENDPOINT");
    for (const bad of ["hub.example", "hub.example:0", "hub.example:70000", "-bad.example:80", "[hub]:80", "a b:1"])
      throwsWithCode(() => parseHostPort(bad), "EW_ERR_EGRESS_ENDPOINT");
    const noAddress = (): Promise<string[]> => Promise.resolve([]);
    await rejectsWithCode(resolveEndpoints([parseHostPort("x.example:1")], noAddress), "EW_ERR_EGRESS_ENDPOINT");
    const failing = (): Promise<string[]> => Promise.reject(new Error("ENOTFOUND"));
    await rejectsWithCode(resolveEndpoints([parseHostPort("x.example:1")], failing), "EW_ERR_EGRESS_ENDPOINT");
  });
});
