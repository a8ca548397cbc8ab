/**
 * The set-up of the tests that follow a release name end to end: a real hub process (`edgeward hub serve`) with
 * groups `line-a` (the device's) and `line-b`, a swtpm device enrolled by token into `line-a`, and `matmul`, a small
 * model to publish as any version to either group, signed by the device's publisher.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createFleetGroup,
  initFleetHub,
  publishModel,
  startFleetDevice,
  startServe,
  syntheticMatMulModel,
  type FleetDevice,
  type FleetHub,
} from "@edgeward/testkit";

/** The hub, its URL, the device, and publishing. */
export interface FollowFleet {
  readonly hub: FleetHub;
  readonly url: string;
  readonly device: FleetDevice;
  /** `model publish` of matmul `version` to `group` (the device's by default); returns the release JSON. */
  publish(version: string, group?: string): Promise<Record<string, unknown>>;
}

/** Starts the fleet in `dir`; the device's close() stops the hub too. */
export async function startFollowFleet(dir: string): Promise<FollowFleet> {
  const model = join(dir, "matmul.onnx");
  writeFileSync(model, syntheticMatMulModel(16, 3));
  const hub = await initFleetHub(join(dir, "hub"), "line-a");
  const serve = await startServe(["--dir", hub.dir, "--listen", "127.0.0.1:0"]);
  const url = serve.url;
  const device = await startFleetDevice(hub, url, dir, () => serve.stop());
  await createFleetGroup({ ...hub, group: "line-b" }, url);
  const signKey = join(dir, "publisher", "publisher.key");
  return {
    hub,
    url,
    device,
    publish: (version, group = hub.group) => publishModel({ ...hub, group }, url, model, "matmul", version, signKey),
  };
}
