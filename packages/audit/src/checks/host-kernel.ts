/**
 * Host hardening read from the kernel's settings: core dumps (a dump of the agent holds the decrypted model and
 * keys), ptrace (another process of the same user could read the agent's memory), and swap (memory pages with the
 * model written to disk in the clear).
 */
import type { AuditContext, Verdict } from "./check.ts";

/** Core dumps disabled. */
export async function auditCoreDump(ctx: AuditContext): Promise<Verdict> {
  const pattern = (await ctx.host.text("/proc/sys/kernel/core_pattern"))?.trim();
  const suid = (await ctx.host.text("/proc/sys/fs/suid_dumpable"))?.trim();
  const limits = await hardCoreZero(ctx);
  const storage = /^\s*Storage\s*=\s*none\s*$/m.test((await ctx.host.text("/etc/systemd/coredump.conf")) ?? "");
  const evidence = [
    `kernel.core_pattern: ${pattern ?? "unreadable"}`,
    `fs.suid_dumpable: ${suid ?? "unreadable"}`,
    `hard core limit 0: ${limits ?? "not set in /etc/security/limits.conf or limits.d"}`,
    `systemd-coredump Storage=none: ${storage ? "yes" : "no"}`,
  ];
  // Dumps are off when no process may write one (a hard limit of 0, or a pattern that discards them), and a
  // piped systemd-coredump counts only when it stores nothing.
  const discarded = pattern === "|/bin/false" || pattern === "" || (pattern?.includes("systemd-coredump") && storage);
  const ok = (limits !== undefined || discarded === true) && suid === "0";
  return { status: ok ? "pass" : "fail", evidence };
}

async function hardCoreZero(ctx: AuditContext): Promise<string | undefined> {
  const files = [
    "/etc/security/limits.conf",
    ...(await ctx.host.list("/etc/security/limits.d")).map((f) => `/etc/security/limits.d/${f}`),
  ];
  for (const f of files)
    for (const line of ((await ctx.host.text(f)) ?? "").split("\n"))
      if (/^\s*\*\s+hard\s+core\s+0\s*$/.test(line)) return f;
  return undefined;
}

/** kernel.yama.ptrace_scope at least 1. */
export async function auditPtrace(ctx: AuditContext): Promise<Verdict> {
  const text = (await ctx.host.text("/proc/sys/kernel/yama/ptrace_scope"))?.trim();
  const value = text === undefined ? undefined : Number(text);
  const evidence = [`/proc/sys/kernel/yama/ptrace_scope: ${text ?? "absent (Yama not enabled)"}`];
  return { status: value !== undefined && value >= 1 ? "pass" : "fail", evidence };
}

/** Swap off or encrypted. */
export async function auditSwap(ctx: AuditContext): Promise<Verdict> {
  const swaps = ((await ctx.host.text("/proc/swaps")) ?? "")
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "");
  if (swaps.length === 0) return { status: "pass", evidence: ["/proc/swaps: no swap in use"] };
  const crypttab = (await ctx.host.text("/etc/crypttab")) ?? "";
  const evidence: string[] = [];
  let ok = true;
  for (const line of swaps) {
    const device = line.split(/\s+/)[0]!;
    const safe = device.startsWith("/dev/zram") || encryptedSwap(device, crypttab);
    evidence.push(
      `swap ${device}: ${safe ? (device.startsWith("/dev/zram") ? "in RAM (zram)" : "dm-crypt (crypttab)") : "NOT encrypted"}`,
    );
    ok &&= safe;
  }
  return { status: ok ? "pass" : "fail", evidence };
}

// crypttab(5): "name device keyfile options"; a swap mapping is /dev/mapper/<name> with the swap option.
function encryptedSwap(device: string, crypttab: string): boolean {
  const name = /^\/dev\/mapper\/(.+)$/.exec(device)?.[1];
  return crypttab.split("\n").some((l) => {
    const f = l.trim().split(/\s+/);
    return !l.trim().startsWith("#") && f[0] === name && (f[3] ?? "").split(",").includes("swap");
  });
}
