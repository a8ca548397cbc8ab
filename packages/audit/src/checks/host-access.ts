/**
 * Host hardening of access paths: listening sockets beyond the agent's (read from /proc/net, proc(5)), SSH
 * password login (sshd_config(5)), and state files others can read.
 */
import { posix } from "node:path";
import { walk } from "../host/walk.ts";
import type { AuditContext, Verdict } from "./check.ts";

/** No listening ports beyond the agent's. */
export async function auditListeningPorts(ctx: AuditContext): Promise<Verdict> {
  const agent = new Set(ctx.state?.agent?.listen ?? []);
  const sockets: { proto: string; address: string; port: number }[] = [];
  for (const proto of ["tcp", "tcp6", "udp", "udp6"]) {
    // proc(5) /proc/net/tcp: "sl local_address rem_address st …", addresses as hex IP:port; st 0A is LISTEN,
    // and an unconnected UDP socket is 07.
    const listen = proto.startsWith("tcp") ? "0A" : "07";
    for (const line of ((await ctx.host.text(`/proc/net/${proto}`)) ?? "").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== listen) continue;
      const [hexAddr = "", hexPort = "0"] = f[1]!.split(":");
      sockets.push({ proto, address: hexAddr, port: parseInt(hexPort, 16) });
    }
  }
  const exposed = sockets.filter((s) => !isLoopback(s.address) && !agent.has(s.port));
  const evidence = [
    `${sockets.length} listening socket(s) in /proc/net; agent ports: ${[...agent].join(", ") || "none recorded"}`,
    ...exposed.map(
      (s) =>
        `  ${s.proto} port ${s.port} on ${s.address === "00000000" || /^0+$/.test(s.address) ? "all addresses" : s.address}`,
    ),
  ];
  return { status: exposed.length === 0 ? "pass" : "fail", evidence };
}

// 127.0.0.0/8 is stored little-endian on x86 (0100007F); ::1 is 00000000000000000000000001000000.
// An IPv4-mapped loopback (::ffff:127.0.0.1) is 0000000000000000FFFF00000100007F.
function isLoopback(hex: string): boolean {
  if (hex.length === 32 && hex.startsWith("0000000000000000FFFF0000")) return hex.endsWith("7F");
  return (hex.length === 8 && hex.endsWith("7F")) || hex === "00000000000000000000000001000000";
}

/** SSH password login disabled. */
export async function auditSshPassword(ctx: AuditContext): Promise<Verdict> {
  const main = await ctx.host.text("/etc/ssh/sshd_config");
  if (main === undefined)
    return { status: "not-applicable", evidence: ["/etc/ssh/sshd_config: absent (no SSH server)"] };
  const value = await firstValue(ctx, main, "passwordauthentication");
  // Keyboard-interactive through PAM asks for the same password (sshd_config(5), UsePAM).
  const kbd =
    (await firstValue(ctx, main, "kbdinteractiveauthentication")) ??
    (await firstValue(ctx, main, "challengeresponseauthentication"));
  const pam = (await firstValue(ctx, main, "usepam")) === "yes";
  const evidence = [
    `PasswordAuthentication: ${value ?? "not set (sshd's default is yes)"}`,
    `KbdInteractiveAuthentication: ${kbd ?? "not set (default yes)"}; UsePAM: ${pam ? "yes" : "no"}`,
  ];
  const kbdPassword = pam && kbd !== "no";
  return { status: value === "no" && !kbdPassword ? "pass" : "fail", evidence };
}

// sshd_config(5): "for each keyword, the first obtained value will be used"; Include expands in place; a Match
// block applies only to some connections, so the search stops there.
async function firstValue(ctx: AuditContext, text: string, keyword: string): Promise<string | undefined> {
  for (const raw of text.split("\n")) {
    // "Keyword value" or "Keyword=value"; "#" starts a comment.
    const [key = "", ...rest] = raw
      .replace(/#.*/, "")
      .trim()
      .split(/\s*=\s*|\s+/);
    const k = key.toLowerCase();
    if (k === "match") return undefined;
    if (k === "include")
      for (const pattern of rest) {
        const full = pattern.startsWith("/") ? pattern : `/etc/ssh/${pattern}`;
        for (const file of await glob(ctx, full)) {
          const v = await firstValue(ctx, (await ctx.host.text(file)) ?? "", keyword);
          if (v !== undefined) return v;
        }
      }
    if (k === keyword) return rest[0]?.toLowerCase();
  }
  return undefined;
}

// Only the "dir/*.conf" form Debian uses is expanded; other patterns are read as a single path.
async function glob(ctx: AuditContext, pattern: string): Promise<string[]> {
  const m = /^(.*)\/\*(\.[\w]+)?$/.exec(pattern);
  if (m === null) return [pattern];
  return (await ctx.host.list(m[1]!)).filter((n) => n.endsWith(m[2] ?? "")).map((n) => `${m[1]}/${n}`);
}

/** No world-readable state files. */
export async function auditStatePermissions(ctx: AuditContext): Promise<Verdict> {
  if (ctx.stateDir === undefined)
    return { status: "not-applicable", evidence: ["no agent state directory on this machine"] };
  const { entries, truncated } = await walk(ctx.stateDir, ["/"]);
  const open = entries.filter((e) => (e.stats.mode & 0o007) !== 0);
  const evidence = [
    `${ctx.stateDir.root}: ${open.length} file(s) or folder(s) others can access`,
    ...open
      .slice(0, 20)
      .map((e) => `  ${(e.stats.mode & 0o777).toString(8)} ${posix.join(ctx.stateDir!.root, e.path)}`),
  ];
  if (truncated) evidence.push("the walk stopped at its depth or entry limit: not every file was checked");
  return { status: open.length > 0 ? "fail" : truncated ? "warn" : "pass", evidence };
}
