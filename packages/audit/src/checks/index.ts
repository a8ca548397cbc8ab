// Every audit check, in report order: the ten promises of ARCHITECTURE.md, then host hardening (docs/audit.md).
import type { Check } from "./check.ts";
import { auditListeningPorts, auditSshPassword, auditStatePermissions } from "./host-access.ts";
import { auditCoreDump, auditPtrace, auditSwap } from "./host-kernel.ts";
import { auditKeys } from "./p01-keys.ts";
import { auditSecureBoot } from "./p02-secure-boot.ts";
import { auditEgress } from "./p03-egress.ts";
import { auditMtls } from "./p04-mtls.ts";
import { auditRawData } from "./p05-raw-data.ts";
import { auditUpdates } from "./p06-updates.ts";
import { auditAttestation } from "./p07-attestation.ts";
import { auditGuard } from "./p08-guard.ts";
import { auditTamper } from "./p09-tamper.ts";
import { auditLog } from "./p10-log.ts";

/** All checks: id, the promise checked (null for host hardening), title, the general fix, and the check. */
export const CHECKS: readonly Check[] = [
  {
    id: "promise-1-keys",
    promise: 1,
    title: "Unwrap key TPM-resident and PCR-bound; no key or model in the clear",
    fix: "Enrol the agent on a device with a TPM 2.0 (edgeward tpm keygen --pcrs 0,7), and delete or seal any key or model file the evidence lists",
    run: auditKeys,
  },
  {
    id: "promise-2-secure-boot",
    promise: 2,
    title: "Secure Boot enabled (EFI variable and TCG event log)",
    fix: "Enable UEFI Secure Boot in the firmware setup with the platform's keys enrolled, then reboot",
    run: auditSecureBoot,
  },
  {
    id: "promise-3-egress",
    promise: 3,
    title: "Egress restricted to the hub (nftables output policy)",
    fix: "Load the generated rules: edgeward egress nftables --hub URL > /etc/nftables.d/edgeward.nft && nft -f /etc/nftables.d/edgeward.nft (on Kubernetes: edgeward egress k8s)",
    run: auditEgress,
  },
  {
    id: "promise-4-mtls",
    promise: 4,
    title: "mTLS to the hub with a valid, unexpired device certificate",
    fix: "Re-attest the device so the hub issues a new certificate (the agent renews it after a passing attestation)",
    run: auditMtls,
  },
  {
    id: "promise-5-no-raw-data",
    promise: 5,
    title: "No raw input or plaintext model on disk",
    fix: "Delete the files listed, and find what wrote them: inputs must stay in memory and review copies be age-encrypted",
    run: auditRawData,
  },
  {
    id: "promise-6-updates",
    promise: 6,
    title: "Updates TUF-verified; NV version floor at least the running version",
    fix: "Re-provision the TUF root (update.tufRoot) and let the agent raise the NV version floor after its next verified update",
    run: auditUpdates,
  },
  {
    id: "promise-7-attestation",
    promise: 7,
    title: "Last attestation passed and is fresh",
    fix: "Check the agent can reach the hub and read the hub's reason for the failure; a passing attestation renews the certificate",
    run: auditAttestation,
  },
  {
    id: "promise-8-guard",
    promise: 8,
    title: "Guard configuration present in the running release",
    fix: "Reinstall the release so its guard configuration is in place (edgeward pulls it with the model)",
    run: auditGuard,
  },
  {
    id: "promise-9-tamper",
    promise: 9,
    title: "Tamper sources configured and armed",
    fix: "Configure the device's tamper sources in the agent and arm them (a disarmed source never zeroizes keys)",
    run: auditTamper,
  },
  {
    id: "promise-10-audit-log",
    promise: 10,
    title: "Audit log verifies and its latest checkpoint was accepted by the hub",
    fix: "Run edgeward log verify --db DB --vkey VKEY to find the first changed entry, and let the agent ship its checkpoint to the hub",
    run: auditLog,
  },
  {
    id: "host-core-dumps",
    promise: null,
    title: "Core dumps disabled",
    fix: 'Set "* hard core 0" in /etc/security/limits.d/edgeward.conf, fs.suid_dumpable=0, and Storage=none in /etc/systemd/coredump.conf',
    run: auditCoreDump,
  },
  {
    id: "host-ptrace-scope",
    promise: null,
    title: "kernel.yama.ptrace_scope at least 1",
    fix: "Set kernel.yama.ptrace_scope = 1 (or 2) in /etc/sysctl.d/10-edgeward.conf and run sysctl --system",
    run: auditPtrace,
  },
  {
    id: "host-swap",
    promise: null,
    title: "Swap off or encrypted",
    fix: "Turn swap off (swapoff -a, remove it from /etc/fstab) or put it on dm-crypt with a random key (/etc/crypttab: swap option)",
    run: auditSwap,
  },
  {
    id: "host-listening-ports",
    promise: null,
    title: "No listening ports beyond the agent's",
    fix: "Stop or firewall the services listed, or bind them to loopback; the agent's ports are state.json agent.listen",
    run: auditListeningPorts,
  },
  {
    id: "host-ssh-password",
    promise: null,
    title: "SSH password login disabled",
    fix: "Set PasswordAuthentication no and KbdInteractiveAuthentication no in /etc/ssh/sshd_config, then reload sshd",
    run: auditSshPassword,
  },
  {
    id: "host-state-permissions",
    promise: null,
    title: "No world-readable state files",
    fix: "chmod -R o-rwx on the agent's state directory (the agent creates files 0600 and directories 0700)",
    run: auditStatePermissions,
  },
];
