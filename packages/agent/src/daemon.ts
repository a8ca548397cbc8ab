/**
 * The running agent (ARCHITECTURE.md "The flows" 4-7): opens its keys from the TPM, its log, and the stored
 * release (restart without the hub: it opens when the boot state still matches, and says why when it does not),
 * watches the tamper sources, and serves the local API. The hub side (attestation, updates) plugs in as a
 * {@link HubLink}, so the agent serves what it has whether or not the hub answers.
 */
import type { FastifyInstance } from "fastify";
import { EdgewardError, isEdgewardError } from "@edgeward/core";
import { loadModel } from "@edgeward/runtime";
import type { TpmDevice } from "@edgeward/tpm";
import { DeviceLog } from "./audit/device-log.ts";
import { DEFAULT_CONFIG, type AgentConfig } from "./config.ts";
import { VersionFloor } from "./floor.ts";
import type { DeviceRecord } from "./identity/device-record.ts";
import { attestationKey, loadDevice, openDeviceKeys, type DeviceKeys } from "./identity/provision.ts";
import { buildApp } from "./serve/app.ts";
import { GuardSlot } from "./serve/guard-slot.ts";
import { ModelSlot, type SessionLoader } from "./serve/model-slot.ts";
import type { StateLayout } from "./state/layout.ts";
import { readRuntimeStatus, writeRuntimeStatus, type RuntimeStatus } from "./status.ts";
import { respondToTamper, type TamperRecord } from "./tamper/respond.ts";
import type { TamperReading } from "./tamper/sources.ts";
import { manualSource, watchTamper, type TamperWatch } from "./tamper/watch.ts";
import { activateRelease, type ActivateDeps } from "./update/activate.ts";
import { ReleaseStore } from "./update/release-store.ts";
import { openSealedNoteKey } from "./identity/sealed-keys.ts";
import { lookupAddresses, writeAuditState } from "./state/audit-state.ts";
import { openReviewQueue } from "./review/review-queue.ts";

/** The hub side of a running agent. */
export interface HubLink {
  /** Tells the hub about a tamper event (it quarantines the device). */
  tamper(record: TamperRecord): Promise<void>;
  /** Starts the schedules (attestation, updates); called once the agent is serving what it has. */
  start?(agent: Agent): void;
  close?(): Promise<void>;
}

/** Options for {@link Agent.start}. */
export interface AgentOptions {
  readonly tpm: TpmDevice;
  readonly layout: StateLayout;
  readonly config?: AgentConfig;
  readonly loadSession?: SessionLoader;
  readonly hub?: HubLink;
  /** Called with each line worth a log line (start-up, refusals, tamper); never a secret or an input. */
  readonly say?: (line: string) => void;
}

/** A running agent. */
export class Agent {
  readonly app: FastifyInstance;
  readonly slot: ModelSlot;
  /** The serving release's guard (none for a release without one: tensors only). */
  readonly guards: GuardSlot;
  readonly record: DeviceRecord;
  readonly releases: ReleaseStore;
  readonly log: DeviceLog;
  /** The keys in memory; undefined after a boot change or a tamper event (the TPM refuses them). */
  keys: DeviceKeys | undefined;
  readonly #opts: AgentOptions;
  /** The checked configuration. */
  readonly config: AgentConfig;
  #watch: TamperWatch | undefined;
  /** One floor per release name for the process: its counter is defined once and its known lower bound kept. */
  readonly #floors = new Map<string, Promise<VersionFloor>>();
  /** The same floors once set up, for state.json's synchronous look-up. */
  readonly #floorsReady = new Map<string, VersionFloor>();
  #tampering: Promise<unknown> | undefined;

  private constructor(opts: AgentOptions, record: DeviceRecord, log: DeviceLog, keys: DeviceKeys | undefined) {
    this.#opts = opts;
    this.config = opts.config ?? DEFAULT_CONFIG;
    this.record = record;
    this.log = log;
    this.keys = keys;
    this.slot = new ModelSlot(opts.loadSession ?? loadModel);
    // Flagged inputs are sealed to the configured review recipient before anything is written (docs/guard.md).
    const reviewQueue = openReviewQueue(this.config.review, opts.layout);
    this.guards = new GuardSlot(reviewQueue === undefined ? {} : { reviewQueue });
    this.releases = new ReleaseStore(opts.layout);
    this.app = buildApp({
      slot: this.slot,
      guards: this.guards,
      audit: log,
      bodyLimit: this.config.bodyLimit,
      closers: [() => this.#shutdown()],
    });
  }

  /** Opens keys, log and the stored release, and starts watching for tampering. */
  static async start(opts: AgentOptions): Promise<Agent> {
    const say = opts.say ?? (() => undefined);
    const record = await loadDevice(opts.layout);
    // The log key is bound to PCR 7 only, so a device after a tamper event (PCR 14 extended) still logs.
    await attestationKey(opts.tpm, record);
    const logSigner = await openSealedNoteKey(opts.tpm, record.logOrigin, record.logKey);
    const log = await DeviceLog.open(opts.layout, logSigner, `agent:${record.deviceId ?? record.logOrigin}`);
    let keys: DeviceKeys | undefined;
    try {
      keys = await openDeviceKeys(opts.tpm, record);
    } catch (err) {
      if (!isEdgewardError(err, "EW_ERR_TPM_POLICY")) throw err;
      say("the boot state differs from the enrolled one: keys stay sealed (EW_ERR_AGENT_BOOT_CHANGED)");
    }
    const agent = new Agent(opts, record, log, keys);
    // state.json names where the local API listens (docs/audit.md "The state directory"), known once it does.
    agent.app.addHook("onListen", () => agent.refreshAuditState());
    agent.#watch = watchTamper([...agent.config.tamper, manualSource(opts.layout)], {
      intervalMs: agent.config.tamperIntervalMs,
      onTrip: (reading) => void agent.tamper(reading),
    });
    await agent.resume();
    await agent.refreshAuditState();
    opts.hub?.start?.(agent);
    return agent;
  }

  /** The TPM the agent runs on. */
  get tpm(): TpmDevice {
    return this.#opts.tpm;
  }

  /** The state directory. */
  get layout(): StateLayout {
    return this.#opts.layout;
  }

  /** Release `name`'s floor; a counter that could not be set up is tried again next time. */
  #floor(name: string): Promise<VersionFloor> {
    let floor = this.#floors.get(name);
    if (floor === undefined) {
      floor = VersionFloor.forRelease(this.#opts.tpm, name);
      this.#floors.set(name, floor);
      floor.then(
        (f) => this.#floorsReady.set(name, f),
        () => this.#floors.delete(name),
      );
    }
    return floor;
  }

  /** The activation context for the update flow. */
  activation(): ActivateDeps {
    const publisherKey = this.config.publisherKey;
    return {
      tpm: this.#opts.tpm,
      record: this.record,
      layout: this.#opts.layout,
      releases: this.releases,
      floor: (name) => this.#floor(name),
      slot: this.slot,
      guards: this.guards,
      log: this.log,
      check: (meta) =>
        Promise.resolve(
          publisherKey === undefined || meta.omsBundle === undefined
            ? undefined
            : { publicKey: publisherKey, bundle: meta.omsBundle, name: meta.name },
        ),
    };
  }

  /**
   * Opens the current release from disk; with `requireFreshAttestation` only once `attested` (after a pass).
   * Never throws: a release that does not open is reported in status.json and the log.
   */
  async resume(attested = false): Promise<void> {
    const { current } = await this.releases.current();
    if (current === undefined || (this.config.requireFreshAttestation && !attested)) return;
    if (this.slot.describe().model !== undefined || this.slot.describe().tampered !== undefined) return;
    try {
      await activateRelease(this.activation(), current);
      this.#opts.say?.(`serving ${this.slot.current().name} ${this.slot.current().version} from the stored release`);
      await this.updateStatus({});
    } catch (err) {
      const code = isEdgewardError(err) ? err.code : "EW_ERR_INTERNAL";
      this.#opts.say?.(`the stored release ${current} did not open: ${code}`);
      await this.updateStatus({ lastError: { code, at: new Date().toISOString() } });
    }
  }

  /** The tamper response, once (promise 9). */
  tamper(reading: TamperReading): Promise<unknown> {
    this.#tampering ??= respondToTamper(reading, {
      tpm: this.#opts.tpm,
      layout: this.#opts.layout,
      zeroize: (r) => {
        // The guard's sessions go once the requests running on the model (guarded ones included) have returned.
        void this.slot.zeroize(r).then(() => this.guards.close().catch(() => undefined));
        this.keys = undefined;
      },
      audit: async (r) => {
        await this.log.record({ kind: "tamper.detect", subject: r.source, details: { details: r.details, at: r.at } });
      },
      notifyHub: (r) => this.#opts.hub?.tamper(r) ?? Promise.resolve(),
    }).then(async (result) => {
      this.#opts.say?.(`tamper (${reading.source}): zeroized in ${result.timings.zeroizedMs.toFixed(1)} ms`);
      await this.refreshAuditState().catch(() => undefined);
      return result;
    });
    return this.#tampering;
  }

  /** Merges `patch` into status.json. */
  async updateStatus(patch: Partial<RuntimeStatus>): Promise<void> {
    const was = await readRuntimeStatus(this.#opts.layout);
    const serving = this.slot.describe().model;
    await writeRuntimeStatus(this.#opts.layout, { ...was, ...(serving === undefined ? {} : { serving }), ...patch });
    await this.refreshAuditState();
  }

  /** Rebuilds state.json, what the audit reads (docs/audit.md "The state directory"). */
  refreshAuditState(): Promise<void> {
    const guard = this.guards.current();
    return writeAuditState(this.#opts.layout, {
      ...(guard === undefined
        ? {}
        : { guard: { digest: guard.digest, releaseDigest: guard.releaseDigest, stages: guard.stages } }),
      tpm: this.#opts.tpm,
      knownFloor: (name) => this.#floorsReady.get(name)?.lastRead,
      tamperSources: [...this.config.tamper.map((s) => s.kind), "manual"],
      watching: this.#watch !== undefined,
      attestationMaxAgeSeconds: Math.max(86_400, Math.ceil((2 * this.config.hubIntervalMs) / 1000)),
      allow: this.config.allow,
      resolve: lookupAddresses,
      address: this.app.server.listening ? this.app.server.address() : null,
    });
  }

  /** Stops everything (the app's onClose calls this). */
  async close(): Promise<void> {
    await this.app.close();
  }

  async #shutdown(): Promise<void> {
    await this.#watch?.close();
    await this.#tampering;
    await this.#opts.hub?.close?.();
    await this.log.close();
  }
}

/** Thrown where the agent needs keys it does not hold. */
export function keysUnavailable(): EdgewardError {
  return new EdgewardError("EW_ERR_AGENT_BOOT_CHANGED", { detail: "the device keys are sealed" });
}
