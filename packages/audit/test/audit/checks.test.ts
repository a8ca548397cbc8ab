import assert from "node:assert/strict";
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateNoteKey } from "@edgeward/tlog";
import { CHECKS, FAKE_NFT_RULESET, runAudit, type AuditState, type CheckStatus } from "@edgeward/audit";
import {
  buildFakeDevice,
  copyDevice,
  egressRules,
  EVENTLOG_FIXTURES,
  FAKE_DEVICE_STATE,
  loadedRulesetJson,
  putFile,
  tempDir,
} from "@edgeward/testkit";

/** One way to break one check, and what the audit must then say. */
interface BrokenCase {
  readonly check: string;
  readonly when: string;
  readonly breakIt: (root: string) => void | Promise<void>;
  readonly status?: CheckStatus;
  readonly evidence: RegExp;
  readonly now?: Date;
}

const state = (root: string): AuditState =>
  JSON.parse(readFileSync(join(root, FAKE_DEVICE_STATE, "state.json"), "utf8")) as AuditState;
/** AuditState with every field present and writable, for edits in tests. */
type Editable<T> = { -readonly [K in keyof T]-?: Editable<NonNullable<T[K]>> };
const setState = (root: string, edit: (s: Editable<AuditState>) => void): void => {
  const s = state(root) as Editable<AuditState>;
  edit(s);
  writeFileSync(join(root, FAKE_DEVICE_STATE, "state.json"), JSON.stringify(s));
};
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");

const CASES: BrokenCase[] = [
  {
    check: "promise-1-keys",
    when: "the unwrap key is in the software keystore",
    breakIt: (r) => setState(r, (s) => (s.keys.unwrap.kind = "software")),
    evidence: /software keystore/,
  },
  {
    check: "promise-1-keys",
    when: "an age identity lies in the state directory",
    breakIt: (r) => putFile(r, `${FAKE_DEVICE_STATE}/backup.txt`, "AGE-SECRET-KEY-1QQQQ\n"),
    evidence: /age-identity: .*backup\.txt/,
  },
  {
    check: "promise-1-keys",
    when: "there is no TPM",
    breakIt: (r) => {
      rmSync(join(r, "dev/tpmrm0"));
      rmSync(join(r, "sys/class/tpm"), { recursive: true });
    },
    evidence: /TPM device: none/,
  },
  {
    check: "promise-2-secure-boot",
    when: "the event log records SecureBoot 0 (a real GCE log)",
    breakIt: (r) =>
      copyFileSync(
        join(EVENTLOG_FIXTURES, "tpm2-tools-event-gce-ubuntu-2104-log.bin"),
        join(r, "sys/kernel/security/tpm0/binary_bios_measurements"),
      ),
    evidence: /event log .*: SecureBoot 0/,
  },
  {
    check: "promise-2-secure-boot",
    when: "the EFI variable is 0",
    breakIt: (r) =>
      writeFileSync(
        join(r, "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"),
        Uint8Array.of(6, 0, 0, 0, 0),
      ),
    evidence: /0 \(disabled\)/,
  },
  {
    check: "promise-2-secure-boot",
    when: "the event log is truncated",
    breakIt: (r) => {
      const p = join(r, "sys/kernel/security/tpm0/binary_bios_measurements");
      writeFileSync(p, readFileSync(p).subarray(0, 5000));
    },
    evidence: /rejected \(EW_ERR_EVENTLOG_TRUNCATED\)/,
  },
  {
    check: "promise-2-secure-boot",
    when: "the event log is unreadable but the variable says 1",
    breakIt: (r) => rmSync(join(r, "sys/kernel/security/tpm0/binary_bios_measurements")),
    status: "warn",
    evidence: /event log .*: unreadable/,
  },
  {
    check: "promise-2-secure-boot",
    when: "the machine booted without UEFI",
    breakIt: (r) => rmSync(join(r, "sys/firmware/efi"), { recursive: true }),
    evidence: /without UEFI/,
  },
  {
    check: "promise-3-egress",
    when: "the ruleset also allows a peer state.json does not name",
    breakIt: async (r) => putFile(r, FAKE_NFT_RULESET, loadedRulesetJson(await egressRules(["192.0.2.9:443"]), r)),
    evidence: /allowed beyond the hub: 192\.0\.2\.9:443/,
  },
  {
    check: "promise-3-egress",
    when: "no output chain drops by default",
    breakIt: (r) =>
      putFile(
        r,
        FAKE_NFT_RULESET,
        loadedRulesetJson(
          "table inet t {\n chain o {\n type filter hook output priority 0; policy accept;\n }\n}\n",
          r,
        ),
      ),
    evidence: /no output chain drops by default/,
  },
  {
    check: "promise-3-egress",
    when: "a hand-written rule lets TCP 443 out to any address",
    breakIt: async (r) =>
      putFile(
        r,
        FAKE_NFT_RULESET,
        loadedRulesetJson((await egressRules()).replace("counter drop", "tcp dport 443 accept\n    counter drop"), r),
      ),
    evidence: /a rule accepting traffic this audit cannot bound/,
  },
  {
    check: "promise-3-egress",
    when: "the output chain jumps to a chain that accepts everything",
    breakIt: async (r) => {
      const rules = (await egressRules())
        .replace("  chain output {", "  chain anything {\n    accept\n  }\n  chain output {")
        .replace("counter drop", "jump anything\n    counter drop");
      putFile(r, FAKE_NFT_RULESET, loadedRulesetJson(rules, r));
    },
    evidence: /a rule accepting traffic this audit cannot bound/,
  },
  {
    check: "promise-3-egress",
    when: "a negated match accepts every other destination",
    breakIt: async (r) => {
      const rules = (await egressRules()).replace(
        "counter drop",
        "ip daddr != 10.0.0.1 tcp dport 443 accept\n    counter drop",
      );
      putFile(r, FAKE_NFT_RULESET, loadedRulesetJson(rules, r));
    },
    evidence: /a rule accepting traffic this audit cannot bound/,
  },
  {
    check: "promise-3-egress",
    when: "loopback is matched negated (everything but loopback accepted)",
    breakIt: async (r) => {
      const rules = (await egressRules()).replace("counter drop", 'oif != "lo" accept\n    counter drop');
      putFile(r, FAKE_NFT_RULESET, loadedRulesetJson(rules, r));
    },
    evidence: /a rule accepting traffic this audit cannot bound/,
  },
  {
    check: "promise-3-egress",
    when: "the rules allow another hub than the one state.json names",
    breakIt: (r) => setState(r, (s) => (s.hub.url = "https://127.0.0.2:8443")),
    evidence: /the hub \(127\.0\.0\.2:8443\) is not allowed/,
  },
  {
    check: "promise-3-egress",
    when: "state.json names no hub",
    breakIt: (r) => setState(r, (s) => delete (s as Partial<typeof s>).hub),
    status: "warn",
    evidence: /names no hub address/,
  },
  {
    check: "promise-3-egress",
    when: "the ruleset cannot be read",
    breakIt: (r) => rmSync(join(r, FAKE_NFT_RULESET)),
    evidence: /cannot be read/,
  },
  {
    check: "promise-4-mtls",
    when: "the certificate has expired",
    breakIt: () => undefined,
    now: new Date(Date.now() + 3 * 86400_000),
    evidence: /expired or not yet valid/,
  },
  {
    check: "promise-4-mtls",
    when: "another CA issued the certificate",
    breakIt: (r) => copyFileSync(join(r, FAKE_DEVICE_STATE, "device.pem"), join(r, FAKE_DEVICE_STATE, "hub-ca.pem")),
    evidence: /did not issue this certificate/,
  },
  {
    check: "promise-4-mtls",
    when: "the hub URL is plain http",
    breakIt: (r) => setState(r, (s) => (s.hub.url = "http://127.0.0.1:8443")),
    evidence: /hub URL: http:/,
  },
  {
    check: "promise-5-no-raw-data",
    when: "a camera frame lies in /tmp",
    breakIt: (r) => putFile(r, "/tmp/frame-0001.bin", PNG),
    evidence: /image: .*\/tmp\/frame-0001\.bin/,
  },
  {
    check: "promise-5-no-raw-data",
    when: "a plaintext model lies in the state directory",
    breakIt: (r) => putFile(r, `${FAKE_DEVICE_STATE}/cache/model.onnx`, "\x08\x07\x12\x04test"),
    evidence: /model: .*model\.onnx/,
  },
  {
    check: "promise-5-no-raw-data",
    when: "files lie deeper than the scan reads",
    breakIt: (r) => putFile(r, "/tmp/a/b/c/d/e/f/g/h/notes.txt", "deep"),
    status: "warn",
    evidence: /the scan stopped at its depth or entry limit/,
  },
  {
    check: "promise-6-updates",
    when: "the NV floor is below the running version",
    breakIt: (r) => setState(r, (s) => (s.update.floor = 2)),
    evidence: /floor is below the running version/,
  },
  {
    check: "promise-6-updates",
    when: "the TUF root is missing",
    breakIt: (r) => rmSync(join(r, FAKE_DEVICE_STATE, "tuf/root.json")),
    evidence: /missing or not a TUF root\.json/,
  },
  {
    check: "promise-7-attestation",
    when: "the last attestation is two days old",
    breakIt: (r) => setState(r, (s) => (s.attestation.at = new Date(Date.now() - 2 * 86400_000).toISOString())),
    evidence: /stale/,
  },
  {
    check: "promise-7-attestation",
    when: "the last attestation failed",
    breakIt: (r) => setState(r, (s) => (s.attestation.result = "fail")),
    evidence: /last attestation: fail/,
  },
  {
    check: "promise-8-guard",
    when: "the guard configuration differs from the release's digest",
    breakIt: (r) => putFile(r, `${FAKE_DEVICE_STATE}/release/guard.json`, "{}"),
    evidence: /the release says sha256/,
  },
  {
    check: "promise-8-guard",
    when: "the guard configuration is missing",
    breakIt: (r) => rmSync(join(r, FAKE_DEVICE_STATE, "release/guard.json")),
    evidence: /guard\.json: missing/,
  },
  {
    check: "promise-9-tamper",
    when: "a tamper source is disarmed",
    breakIt: (r) => setState(r, (s) => (s.tamper.sources[1]!.armed = false)),
    evidence: /accelerometer: DISARMED/,
  },
  {
    check: "promise-9-tamper",
    when: "no tamper source is configured",
    breakIt: (r) => setState(r, (s) => (s.tamper.sources = [])),
    evidence: /none configured/,
  },
  {
    check: "promise-10-audit-log",
    when: "the log does not verify with the recorded key",
    breakIt: (r) => setState(r, (s) => (s.log.vkey = generateNoteKey("example.com/edgeward/device-42").signer.vkey)),
    evidence: /does not verify: EW_ERR_/,
  },
  {
    check: "promise-10-audit-log",
    when: "the hub has not accepted the latest checkpoint",
    breakIt: (r) => setState(r, (s) => (s.log.checkpoint.acceptedByHub = false)),
    evidence: /not accepted by the hub/,
  },
  {
    check: "promise-10-audit-log",
    when: "the hub saw a larger log than the device has",
    breakIt: (r) => setState(r, (s) => (s.log.checkpoint.size = 9)),
    evidence: /history was cut/,
  },
  {
    check: "host-core-dumps",
    when: "no hard core limit is set",
    breakIt: (r) => rmSync(join(r, "etc/security/limits.d/edgeward.conf")),
    evidence: /hard core limit 0: not set/,
  },
  {
    check: "host-ptrace-scope",
    when: "ptrace_scope is 0",
    breakIt: (r) => putFile(r, "/proc/sys/kernel/yama/ptrace_scope", "0\n"),
    evidence: /ptrace_scope: 0/,
  },
  {
    check: "host-swap",
    when: "a plain swap partition is in use",
    breakIt: (r) => putFile(r, "/proc/swaps", "Filename Type Size Used Priority\n/dev/sda2 partition 1000 0 -2\n"),
    evidence: /swap \/dev\/sda2: NOT encrypted/,
  },
  {
    check: "host-listening-ports",
    when: "another service listens on all addresses",
    breakIt: (r) => {
      const p = join(r, "proc/net/tcp");
      writeFileSync(p, readFileSync(p, "utf8") + "   2: 00000000:08AE 00000000:0000 0A 0 0 0 0 0 1\n");
    },
    evidence: /tcp port 2222 on all addresses/,
  },
  {
    check: "host-ssh-password",
    when: "the first PasswordAuthentication says yes",
    breakIt: (r) => putFile(r, "/etc/ssh/sshd_config.d/10-edgeward.conf", "PasswordAuthentication yes\n"),
    evidence: /PasswordAuthentication: yes/,
  },
  {
    check: "host-ssh-password",
    when: "keyboard-interactive through PAM still asks for the password",
    breakIt: (r) => putFile(r, "/etc/ssh/sshd_config.d/10-edgeward.conf", "PasswordAuthentication=no\nUsePAM yes\n"),
    evidence: /PasswordAuthentication: no\nKbdInteractiveAuthentication: not set \(default yes\); UsePAM: yes/,
  },
  {
    check: "host-ssh-password",
    when: "no SSH server is installed",
    breakIt: (r) => rmSync(join(r, "etc/ssh"), { recursive: true }),
    status: "not-applicable",
    evidence: /no SSH server/,
  },
  {
    check: "host-state-permissions",
    when: "state.json is world-readable",
    breakIt: (r) => chmodSync(join(r, FAKE_DEVICE_STATE, "state.json"), 0o644),
    evidence: /644 .*state\.json/,
  },
];

describe("edgeward audit checks on fake device trees", () => {
  const dir = tempDir("edgeward-audit-");
  const template = join(dir.path, "template");
  let n = 0;
  before(async () => void (await buildFakeDevice(template)));
  after(() => dir[Symbol.dispose]());

  it("on the passing tree every check passes, with evidence and no fix", async () => {
    const report = await runAudit({ root: template, stateDir: join(template, FAKE_DEVICE_STATE) });
    for (const c of report.checks) {
      assert.equal(c.status, "pass", `${c.id}: ${c.evidence.join(" | ")}`);
      assert.ok(c.evidence.length > 0, c.id);
      assert.equal(c.fix, "");
    }
    assert.equal(report.checks.length, CHECKS.length);
    assert.deepEqual(report.summary, { pass: CHECKS.length, fail: 0, warn: 0, "not-applicable": 0 });
    assert.equal(report.ok, true);
  });

  it("every check has at least one breaking case below", () => {
    for (const c of CHECKS)
      assert.ok(
        CASES.some((x) => x.check === c.id),
        c.id,
      );
  });

  for (const c of CASES) {
    it(`${c.check}: when ${c.when}, says ${c.status ?? "fail"} with the evidence and a fix`, async () => {
      const root = join(dir.path, `case-${n++}`);
      copyDevice(template, root);
      await c.breakIt(root);
      const check = CHECKS.find((x) => x.id === c.check)!;
      const report = await runAudit({ root, checks: [check], ...(c.now ? { now: c.now } : {}) });
      const [result] = report.checks;
      assert.equal(result!.status, c.status ?? "fail", result!.evidence.join(" | "));
      assert.match(result!.evidence.join("\n"), c.evidence);
      if (result!.status === "not-applicable") return;
      assert.ok(result!.fix.length > 20, "a fix is given");
      assert.equal(report.ok, result!.status !== "fail");
    });
  }
});
