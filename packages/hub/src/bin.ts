// The hub's one place that listens (STYLE.md: buildApp() apart from listen()). `edgeward hub serve` calls serveHub.
import type { FastifyInstance } from "fastify";
import { EdgewardError } from "@edgeward/core";
import { buildApp } from "./app.ts";
import { openHub, type OpenHubOptions } from "./hubdir/open.ts";
import { startMaintenance } from "./maintenance.ts";

/** A listening hub. */
export interface ServingHub {
  readonly app: FastifyInstance;
  /** https://host:port as bound (the real port when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

/** Opens the hub directory and listens on `listen` ("HOST:PORT", "[::1]:PORT") over HTTPS. */
export async function serveHub(options: OpenHubOptions & { readonly listen: string }): Promise<ServingHub> {
  const { host, port } = parseListen(options.listen);
  const hub = await openHub(options);
  const app = await buildApp(hub.deps, { https: hub.tls });
  const maintenance = startMaintenance(hub.deps);
  app.addHook("onClose", (_app, done) => {
    maintenance.stop();
    done();
  });
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close();
    throw new EdgewardError("EW_ERR_IO", { detail: `cannot listen on ${options.listen}`, cause: err });
  }
  const address = app.server.address();
  const bound = typeof address === "object" && address !== null ? address.port : port;
  const url = `https://${host.includes(":") ? `[${host}]` : host}:${bound}`;
  return { app, url, close: () => app.close() };
}

/** Parses HOST:PORT (IPv6 in brackets); EW_ERR_USAGE otherwise. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (m === null || !(port >= 0 && port <= 65535))
    throw new EdgewardError("EW_ERR_USAGE", { detail: "--listen must be HOST:PORT, e.g. 0.0.0.0:8443 or [::1]:8443" });
  return { host: m[1] ?? m[2]!, port };
}
