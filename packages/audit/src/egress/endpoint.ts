/**
 * Egress endpoints as operators write them (ARCHITECTURE.md promise 3): the hub as an https URL, other peers as
 * HOST:PORT (`[v6]:PORT` for IPv6), networks as CIDRs. Parsing is strict: a rule set built from a typo would
 * silently allow the wrong host or nothing, so every malformed value is EW_ERR_EGRESS_ENDPOINT or _CIDR.
 */
import { isIP } from "node:net";
import { EdgewardError } from "@edgeward/core";

/** A host and TCP port. `host` is a DNS name or an IP literal (IPv6 without brackets). */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** An endpoint with the addresses its host resolved to (an IP literal resolves to itself). */
export interface ResolvedEndpoint extends Endpoint {
  readonly addresses: readonly string[];
}

/** The hub's endpoint from its URL: https only (promise 4: the hub connection is mTLS), default port 443. */
export function parseHubUrl(text: string): Endpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    throw new EdgewardError("EW_ERR_EGRESS_ENDPOINT", { detail: `hub ${JSON.stringify(text)}`, cause: err });
  }
  if (url.protocol !== "https:" || url.hostname === "")
    throw new EdgewardError("EW_ERR_EGRESS_ENDPOINT", { detail: `hub ${text} is not an https URL` });
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return { host, port: url.port === "" ? 443 : Number(url.port) };
}

/** `HOST:PORT` or `[IPV6]:PORT`. */
export function parseHostPort(text: string): Endpoint {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (host === undefined || (m?.[1] !== undefined && isIP(host) !== 6) || !validPort(port) || !validHost(host))
    throw new EdgewardError("EW_ERR_EGRESS_ENDPOINT", { detail: `${JSON.stringify(text)} is not HOST:PORT` });
  return { host, port };
}

/** An IPv4 or IPv6 CIDR (`10.0.0.0/24`, `fd00::/64`); a bare address becomes a /32 or /128. */
export function parseCidr(text: string): { address: string; prefix: number; family: 4 | 6 } {
  const [address = "", prefixText, extra] = text.split("/");
  const family = isIP(address);
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (family === 0 || extra !== undefined || !/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max)
    throw new EdgewardError("EW_ERR_EGRESS_CIDR", { detail: JSON.stringify(text) });
  return { address, prefix, family: family as 4 | 6 };
}

/** A TCP port 1-65535 from text; EW_ERR_EGRESS_CIDR otherwise. */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || !validPort(port))
    throw new EdgewardError("EW_ERR_EGRESS_CIDR", { detail: `port ${JSON.stringify(text)}` });
  return port;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

// RFC 1123 host names: labels of letters, digits and hyphens, not starting or ending with a hyphen.
function validHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  return host.length <= 253 && host.split(".").every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}
