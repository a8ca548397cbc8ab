/**
 * A fake device for the audit's tests (the audit package's, the CLI's) and bench/audit.ts: a root tree (/proc,
 * /sys, /etc, /dev, EFI variables, the TCG event log) and an agent state directory under it in which every check
 * passes. Real parts where they run here: the event
 * log is a real firmware log (EVENTLOG_FIXTURES), the nftables ruleset is what `nft -j` prints after loading the
 * generated rules in a fresh network namespace, the certificates are made by openssl, the audit log by
 * @edgeward/tlog. Tests copy the template and break one thing.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AuditState } from "@edgeward/audit";
import { EFI_GLOBAL_VARIABLE } from "@edgeward/core";
import { EVENTLOG_FIXTURES } from "./eventlogs.ts";

// @edgeward/audit and @edgeward/tlog are imported on first use, not at the top: every test that imports
// @edgeward/testkit would otherwise load both (and pg) only to reach rejectsWithCode or tempDir.

/** Where the fake device's agent state directory lies under its root. */
export const FAKE_DEVICE_STATE = "/var/lib/edgeward";
/** The fake device's hub URL (state.json `hub.url`). */
export const FAKE_DEVICE_HUB = "https://127.0.0.1:8443";

/** Writes `content` at host path `p` under `root`, creating folders (0700) and the file with `mode`. */
export function putFile(root: string, p: string, content: string | Uint8Array, mode = 0o600): void {
  mkdirSync(dirname(join(root, p)), { recursive: true, mode: 0o700 });
  writeFileSync(join(root, p), content, { mode });
  chmodSync(join(root, p), mode);
}

/** The loaded ruleset as `nft -j list ruleset` prints it, after `nft -f` of `ruleset` in a new network namespace. */
export function loadedRulesetJson(ruleset: string, dir: string): string {
  const file = join(dir, "rules.nft");
  writeFileSync(file, ruleset);
  return execFileSync("unshare", ["-rn", "sh", "-c", `nft -f ${file} && nft -j list ruleset`], { encoding: "utf8" });
}

/** The generated ruleset for the fake device's hub, plus `allow` peers. */
export async function egressRules(allow: string[] = []): Promise<string> {
  const { nftablesRuleset, parseHubUrl, resolveEndpoints } = await import("@edgeward/audit");
  const [hub, ...peers] = await resolveEndpoints([
    parseHubUrl(FAKE_DEVICE_HUB),
    ...allow.map((a) => ({ host: a.split(":")[0]!, port: Number(a.split(":")[1]) })),
  ]);
  return nftablesRuleset({ hub: hub!, allow: peers });
}

/** Builds the passing template under `root`; returns its state.json. */
export async function buildFakeDevice(root: string): Promise<AuditState> {
  const { FAKE_NFT_RULESET } = await import("@edgeward/audit");
  const { DurableLog, auditEvent, generateNoteKey } = await import("@edgeward/tlog");
  const { openStore } = await import("@edgeward/tlog/open");
  const s = (p: string): string => join(FAKE_DEVICE_STATE, p);
  mkdirSync(join(root, FAKE_DEVICE_STATE), { recursive: true, mode: 0o700 });
  // Promise 1: a TPM (a stand-in node; the check reads only that it exists).
  putFile(root, "/dev/tpmrm0", "", 0o600);
  mkdirSync(join(root, "/sys/class/tpm/tpm0"), { recursive: true });
  // Promise 2: efivarfs SecureBoot = 1 (4 attribute bytes, then the value), and a real event log with it on.
  putFile(root, `/sys/firmware/efi/efivars/SecureBoot-${EFI_GLOBAL_VARIABLE}`, Uint8Array.of(6, 0, 0, 0, 1), 0o644);
  mkdirSync(join(root, "/sys/kernel/security/tpm0"), { recursive: true });
  copyFileSync(
    join(EVENTLOG_FIXTURES, "tpm2-tools-event-moklisttrusted.bin"),
    join(root, "/sys/kernel/security/tpm0/binary_bios_measurements"),
  );
  // Promise 3: the generated rules, as nft lists them once loaded.
  putFile(
    root,
    FAKE_NFT_RULESET,
    loadedRulesetJson(await egressRules(), dirname(join(root, FAKE_DEVICE_STATE))),
    0o644,
  );
  // Promise 4: a hub CA and a device certificate it issued, valid for a day from now (openssl).
  const certDir = join(root, FAKE_DEVICE_STATE);
  openssl(
    certDir,
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
    ["-keyout", "ca.key", "-out", "hub-ca.pem", "-subj", "/CN=Edgeward test hub CA", "-days", "30"],
  );
  openssl(
    certDir,
    ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
    ["-keyout", "dev.key", "-out", "dev.csr", "-subj", "/CN=device-42"],
  );
  openssl(
    certDir,
    ["x509", "-req", "-in", "dev.csr", "-CA", "hub-ca.pem", "-CAkey", "ca.key"],
    ["-out", "device.pem", "-days", "1"],
  );
  for (const f of ["ca.key", "dev.key", "dev.csr"]) execFileSync("rm", [join(certDir, f)]);
  chmodSync(join(certDir, "device.pem"), 0o600);
  chmodSync(join(certDir, "hub-ca.pem"), 0o600);
  // Promise 6: a TUF root.json (TUF 1.0 §4.3 shape).
  putFile(
    root,
    s("tuf/root.json"),
    JSON.stringify({ signed: { _type: "root", version: 1 }, signatures: [{ keyid: "k", sig: "s" }] }),
  );
  // Promise 8: the release's guard configuration.
  const guard = JSON.stringify({ version: 1, energyThreshold: -4.2 });
  putFile(root, s("release/guard.json"), guard);
  // Promise 10: a real audit log with entries and signed checkpoints.
  const { signer } = generateNoteKey("example.com/edgeward/device-42");
  const store = await openStore({ db: join(root, s("audit.db")) });
  const log = await DurableLog.create(store, { origin: signer.name, signer });
  for (let i = 0; i < 5; i++)
    await log.appendEvent(auditEvent({ actor: "agent", kind: "attest.pass", subject: "device-42", details: { i } }));
  await log.close();
  await store.close();
  chmodSync(join(root, s("audit.db")), 0o600);
  // Host hardening.
  putFile(root, "/proc/sys/kernel/core_pattern", "core\n", 0o644);
  putFile(root, "/proc/sys/fs/suid_dumpable", "0\n", 0o644);
  putFile(root, "/etc/security/limits.d/edgeward.conf", "* hard core 0\n", 0o644);
  putFile(root, "/proc/sys/kernel/yama/ptrace_scope", "1\n", 0o644);
  putFile(root, "/proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n", 0o644);
  const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
  putFile(root, "/proc/net/tcp", `${header}${tcp("00000000", 8443)}${tcp("0100007F", 5432)}`, 0o644);
  for (const p of ["tcp6", "udp", "udp6"]) putFile(root, `/proc/net/${p}`, header, 0o644);
  putFile(root, "/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\n", 0o644);
  putFile(root, "/etc/ssh/sshd_config.d/10-edgeward.conf", "PasswordAuthentication no\n", 0o644);
  mkdirSync(join(root, "/tmp"), { recursive: true });
  const state: AuditState = {
    version: 1,
    deviceId: "device-42",
    hub: { url: FAKE_DEVICE_HUB },
    enrolment: { enrolled: true },
    keys: { unwrap: { kind: "tpm", pcrs: "sha256:0,7", file: "device.tpmkey" } },
    attestation: { result: "pass", at: new Date(Date.now() - 3600_000).toISOString() },
    cert: { file: "device.pem", caFile: "hub-ca.pem" },
    update: { tufRoot: "tuf/root.json", runningVersion: 3, floor: 3 },
    guard: { configFile: "release/guard.json", sha256: createHash("sha256").update(guard).digest("hex") },
    tamper: {
      sources: [
        { kind: "case-switch", armed: true },
        { kind: "accelerometer", armed: true },
      ],
    },
    log: { db: "audit.db", vkey: signer.vkey, checkpoint: { size: 5, acceptedByHub: true } },
    agent: { listen: [8443], dataDirs: [] },
  };
  putFile(root, s("state.json"), JSON.stringify(state, null, 2));
  return state;
}

/** A copy of the template at `into`. */
export function copyDevice(template: string, into: string): void {
  cpSync(template, into, { recursive: true, preserveTimestamps: true });
}

// proc(5) /proc/net/tcp line for a LISTEN (0A) socket on hex address `addr` and `port`.
function tcp(addr: string, port: number): string {
  const p = port.toString(16).toUpperCase().padStart(4, "0");
  return `   0: ${addr}:${p} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n`;
}

function openssl(cwd: string, a: string[], b: string[]): void {
  execFileSync("openssl", [...a, ...b], { cwd, stdio: "ignore" });
}
