/**
 * The agent's systemd service unit, with the sandboxing systemd offers (systemd.exec(5)): no new privileges, a
 * read-only system, private /tmp, no core dumps (a core would hold the decrypted model), no capabilities, only
 * the address families it uses, and device access limited to the TPM. Checked with `systemd-analyze verify`.
 */
import { EdgewardError } from "@edgeward/core";

/** Options for {@link systemdUnit}. */
export interface UnitOptions {
  /** The command that starts the CLI, e.g. `/usr/bin/node /opt/edgeward/packages/cli/bin/edgeward.js`. */
  readonly execStart: string;
  /** The state directory (default /var/lib/edgeward, made by systemd's StateDirectory=). */
  readonly stateDir?: string;
  /** Where the local API listens (default unix:/run/edgeward/agent.sock). */
  readonly listen?: string;
  /** The service account (default edgeward); it needs the `tss` group for /dev/tpmrm0. */
  readonly user?: string;
  /** The TPM device (default /dev/tpmrm0, the kernel resource manager). */
  readonly tpmDevice?: string;
}

/** The unit file's text. */
export function systemdUnit(options: UnitOptions): string {
  const state = options.stateDir ?? "/var/lib/edgeward";
  const listen = options.listen ?? "unix:/run/edgeward/agent.sock";
  const tpm = options.tpmDevice ?? "/dev/tpmrm0";
  const user = options.user ?? "edgeward";
  // StateDirectory= names a directory below /var/lib; systemd makes it and gives it to the service account.
  if (!/^\/var\/lib\/[A-Za-z0-9._/-]+$/.test(state))
    throw new EdgewardError("EW_ERR_AGENT_CONFIG", { detail: "the state directory must be under /var/lib/" });
  if (!/^(unix:\/[^\s]+|127\.0\.0\.1:\d{1,5}|\[::1\]:\d{1,5})$/.test(listen))
    throw new EdgewardError("EW_ERR_AGENT_CONFIG", { detail: "listen on loopback or a Unix socket" });
  return `[Unit]
Description=Edgeward agent: attests, updates and serves a model that never touches disk
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${options.execStart} agent run --state ${state} --listen ${listen}
Restart=on-failure
RestartSec=5
User=${user}
Group=${user}
SupplementaryGroups=tss
Environment=TPM2TOOLS_TCTI=device:${tpm}
StateDirectory=${state.slice("/var/lib/".length)}
StateDirectoryMode=0700
RuntimeDirectory=edgeward
RuntimeDirectoryMode=0750
UMask=0077

# Promise 5: the decrypted model lives in this process only: no core dumps, no swap-visible secrets to others.
LimitCORE=0
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ReadWritePaths=${state}
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
# Promise 3: loopback or a Unix socket for clients, TCP to the hub; nothing else.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
# The TPM is the one device the agent needs; tamper sources are read from /sys, which stays read-only.
DevicePolicy=closed
DeviceAllow=${tpm} rw
# Node's JIT needs writable and executable memory, so MemoryDenyWriteExecute stays off.

[Install]
WantedBy=multi-user.target
`;
}
