// Shared set-up of the device-side tests: a device CA, swtpm TPMs, groups whose reference values are what a fresh
// swtpm measures, the stand-in releases side over the real PP-OCR classifier, and a clock the test moves.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { parsePcrSelectionText, policyPcrDigest, type PcrValues } from "@edgeward/core";
import { DEFAULT_POLICY_PCRS, Tpm2ToolsDevice, type TpmDevice } from "@edgeward/tpm";
import type { AuditEvent } from "@edgeward/tlog";
import { swtpmLocalCa } from "@edgeward/testkit";
import { createDeviceCa, DeviceCa } from "../src/ca/index.ts";
import { MemoryDeviceStore } from "../src/device/memory-store.ts";
import { createDeviceServices, type DeviceServices } from "../src/device/services.ts";
import type { DeviceContext } from "../src/device/context.ts";
import type { DeviceStore } from "../src/device/store.ts";
import type { GroupPolicy } from "../src/device/types.ts";
import { ocrClassifierPath, StandInReleases } from "./device-releases.ts";

/** The PCRs the test groups quote: the boot PCRs and the application PCR Edgeward extends on tamper. */
export const ATTEST_PCRS = "sha256:0,1,2,3,4,5,6,7,14";

/** A test clock. */
export class TestClock {
  // Real time at the start: EK certificates swtpm_setup just made are valid from now, not from a fixed date.
  t = Date.now();
  now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

/** The device side wired up for one test file. */
export interface DeviceHarness {
  readonly services: DeviceServices;
  readonly store: DeviceStore;
  readonly clock: TestClock;
  readonly events: AuditEvent[];
  readonly ca: DeviceCa;
  readonly releases: StandInReleases;
}

/** Group policies whose reference values are `pcrs` (a fresh swtpm's), with `unwrapDigest` as unwrap policy. */
export function testGroup(name: string, pcrs: PcrValues, unwrapDigest: string, over: Partial<GroupPolicy> = {}) {
  const reference: Record<string, Record<string, string[]>> = {};
  for (const [bank, m] of Object.entries(pcrs))
    reference[bank] = Object.fromEntries(
      Object.entries(m ?? {}).map(([i, v]) => [i, [Buffer.from(v).toString("hex")]]),
    );
  const group: GroupPolicy = {
    name,
    autoApprove: true,
    attestPcrs: ATTEST_PCRS,
    reference,
    learn: false,
    quarantineOnFail: true,
    unwrapPolicy: { pcrs: "sha256:7,14", digests: [unwrapDigest] },
    freshnessMs: 10 * 60_000,
    attestIntervalMs: 60_000,
    ...over,
  };
  return group;
}

/** Builds the harness; `reference` is a device whose current PCRs become the groups' reference values. */
export async function deviceHarness(
  reference: TpmDevice,
  dir: string,
  store: DeviceStore = new MemoryDeviceStore(),
  over: { ca?: DeviceCa; now?: () => Date } = {},
) {
  const clock = new TestClock();
  const events: AuditEvent[] = [];
  const ca = over.ca ?? (await DeviceCa.load(await createDeviceCa(clock.now())));
  const localCa = await swtpmLocalCa();
  const pcrs = await reference.pcrRead(parsePcrSelectionText(ATTEST_PCRS));
  const unwrapDigest = Buffer.from(
    policyPcrDigest(DEFAULT_POLICY_PCRS, await reference.pcrRead(DEFAULT_POLICY_PCRS)),
  ).toString("hex");
  await store.putGroup(testGroup("factory", pcrs, unwrapDigest));
  await store.putGroup(testGroup("clinic", pcrs, unwrapDigest, { autoApprove: false }));
  const releases = await StandInReleases.create(ocrClassifierPath(), dir);
  const ctx: DeviceContext = {
    store,
    ca,
    audit: (e) => {
      events.push(e);
      return Promise.resolve();
    },
    now: over.now ?? clock.now,
    manufacturerRoots: [localCa.rootPem],
    manufacturerIntermediates: [localCa.intermediatePem],
    defaultGroup: "factory",
    random: () => 0.5,
  };
  const services = createDeviceServices(ctx, releases);
  const harness: DeviceHarness = { services, store, clock, events, ca, releases };
  return harness;
}

/** A TpmDevice on a running swtpm. */
export function toolsDevice(tcti: string): TpmDevice {
  return new Tpm2ToolsDevice({ tcti });
}

/** A P-256 key and PKCS#10 request made by openssl (the outside party), in `dir`. */
export function opensslCsr(dir: string, name: string): { keyPath: string; csr: string } {
  const keyPath = join(dir, `${name}.key`);
  execFileSync("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyPath]);
  const csr = execFileSync("openssl", ["req", "-new", "-key", keyPath, "-subj", `/CN=${name}`]).toString();
  return { keyPath, csr };
}
