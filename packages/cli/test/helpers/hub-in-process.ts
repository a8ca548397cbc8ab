// The hub app of a `hub init` directory served over HTTPS from the test process, as `edgeward hub serve` serves it,
// for agent-process tests that must reach inside the hub: spoil its answers on the way out (a Fastify onSend hook)
// or run it on a clock of their own (ARCHITECTURE.md "Long-running processes": time comes from an injected clock).
import type { FastifyInstance, onSendAsyncHookHandler } from "fastify";
import { join } from "node:path";
import { buildApp, createHubLogger, openHub, type Clock, type OpenedHub } from "@edgeward/hub";
import { initFleetHub, startFleetDevice, type FleetDevice, type FleetHub } from "@edgeward/testkit";

/** A listening in-process hub. */
export interface InProcessHub {
  readonly opened: OpenedHub;
  readonly app: FastifyInstance;
  /** https://127.0.0.1:PORT */
  readonly url: string;
  close(): Promise<void>;
}

/** Opens `dir` and listens on a free loopback port; `onSend` sees every answer before it leaves. */
export async function serveHubInProcess(
  dir: string,
  options: { clock?: Clock; onSend?: onSendAsyncHookHandler } = {},
): Promise<InProcessHub> {
  const opened = await openHub({ dir, logger: createHubLogger({ level: "warn" }), clock: options.clock });
  const app = await buildApp(opened.deps, { https: opened.tls });
  if (options.onSend !== undefined) app.addHook("onSend", options.onSend);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { opened, app, url: `https://127.0.0.1:${port}`, close: () => app.close() };
}

/** An in-process hub and one enrolled swtpm device (testkit's FleetDevice). */
export interface HubAndDevice extends FleetDevice {
  readonly hub: FleetHub;
  readonly served: InProcessHub;
}

/** `hub init` in `DIR/hub`, the hub served in process (with `options`), and a device enrolled into `DIR/state`. */
export async function hubAndDevice(
  dir: string,
  group: string,
  options: Parameters<typeof serveHubInProcess>[1] = {},
): Promise<HubAndDevice> {
  const hub = await initFleetHub(join(dir, "hub"), group);
  const served = await serveHubInProcess(hub.dir, options);
  const device = await startFleetDevice(hub, served.url, dir, () => served.close());
  return { ...device, hub, served };
}
