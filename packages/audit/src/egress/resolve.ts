/**
 * Resolves endpoints to addresses, the one I/O step of rule generation: nftables matches addresses, not names,
 * so the addresses a host has when the rules are generated are the ones allowed (regenerate after the hub moves).
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { EdgewardError } from "@edgeward/core";
import type { Endpoint, ResolvedEndpoint } from "./endpoint.ts";

/** A resolver (injected in tests); the default asks the system resolver for every address of the name. */
export type Resolver = (host: string) => Promise<readonly string[]>;

/** The system resolver (getaddrinfo through node:dns `lookup`, all addresses). */
export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** Resolves each endpoint; an IP literal is kept as it is. A name that does not resolve is EW_ERR_EGRESS_ENDPOINT. */
export async function resolveEndpoints(
  endpoints: readonly Endpoint[],
  resolver: Resolver = systemResolver,
): Promise<ResolvedEndpoint[]> {
  return Promise.all(
    endpoints.map(async (e) => {
      if (isIP(e.host) !== 0) return { ...e, addresses: [e.host] };
      let addresses: readonly string[];
      try {
        addresses = await resolver(e.host);
      } catch (err) {
        throw new EdgewardError("EW_ERR_EGRESS_ENDPOINT", { detail: `${e.host} does not resolve`, cause: err });
      }
      if (addresses.length === 0 || addresses.some((a) => isIP(a) === 0))
        throw new EdgewardError("EW_ERR_EGRESS_ENDPOINT", { detail: `${e.host} resolved to no usable address` });
      return { ...e, addresses: [...new Set(addresses)].sort() };
    }),
  );
}
