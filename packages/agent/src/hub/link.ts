/**
 * The running agent's side of the hub (ARCHITECTURE.md "The flows" 3-7), one cycle at a time: attest (with a CSR,
 * so a pass renews the certificate — also after it expired), ship the device log with a consistency proof from
 * what the hub acknowledged, and install the tracked targets; then wait until the hub's nextAttestAt (or the
 * configured interval). A failing hub never stops serving: the cycle records the error and tries again later.
 */
import { isEdgewardError } from "@edgeward/core";
import type { Agent, HubLink } from "../daemon.ts";
import { readRuntimeStatus } from "../status.ts";
import type { TamperRecord } from "../tamper/respond.ts";
import { installTarget } from "../update/install.ts";
import { discoverTargets, discoveryDeps } from "../update/discover.ts";
import { refreshTuf, type TufTargets } from "../update/tuf.ts";
import { attestOnce, CachedHubClient, pinnedHub, renewalDue } from "./session.ts";
import { ReleaseWatch } from "./release-watch.ts";
import type { DeviceKeys } from "../identity/provision.ts";
import type { HubClient } from "./hub-client.ts";
import { EdgewardError } from "@edgeward/core";
import { AuditSchedule, type AuditTimer } from "../audit/audit-schedule.ts";
import { ReviewShipping } from "../review/review-shipping.ts";
import { BusyNotice, busyRetryMs, retryDelayMs } from "./retry-after.ts";

/** Options for {@link hubLink}. */
export interface HubLinkOptions {
  readonly say?: (line: string) => void;
  readonly now?: () => Date;
  /** Runs the audit over the state directory and returns its JSON report; without it the agent sends none. */
  readonly audit?: (stateDir: string) => Promise<object>;
  /** The audit schedule's timer (tests inject one); the period is the configuration's auditIntervalMs. */
  readonly auditTimer?: AuditTimer;
  /** Uniform in [0, 1): the jitter added to a busy hub's Retry-After; default Math.random. */
  readonly random?: () => number;
}

/** The first audit runs this soon after start (then every auditIntervalMs), so the hub soon holds a report. */
const FIRST_AUDIT_MS = 60_000;

/** A {@link HubLink} for an enrolled agent. */
export function hubLink(options: HubLinkOptions = {}): HubLink & {
  cycle(agent: Agent): Promise<void>;
  close(): Promise<void>;
  readonly audits: AuditSchedule | undefined;
} {
  const now = options.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let agentRef: Agent | undefined;
  // The client for the device's current identity, its connections kept between requests. A tamper response drops
  // the keys from memory before it tells the hub, so the report goes out on the identity the agent already had.
  const clients = new CachedHubClient();
  let audits: AuditSchedule | undefined;
  let reviews: ReviewShipping | undefined;
  let watch: ReleaseWatch | undefined;
  // Until when (this agent's clock) its last pass is surely still fresh for key release; see passFreshUntil.
  let freshUntil = 0;
  // When the hub asked for the next attestation (its nextAttestAt), if sooner than the configured interval.
  let hubNextAt = 0;
  const busyNotice = new BusyNotice((line) => options.say?.(line));
  // Cycles and the updates a release notice starts run one at a time, in order.
  let queue: Promise<void> = Promise.resolve();
  let updateQueued = false;
  const enqueue = (work: () => Promise<void>): Promise<void> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  // Sealed review entries leave with the log (docs/agent.md "Review entries"); a failure never stops the cycle.
  const shipReview = async (agent: Agent, hub: HubClient): Promise<void> => {
    const queue = agent.guards.reviewQueue();
    if (queue === undefined) return;
    reviews ??= new ReviewShipping(queue, agent.log, agent.record.deviceId ?? "");
    const round = await reviews.round(hub);
    if (round.code !== undefined) options.say?.(`review shipping: ${round.code}; the entry stays queued`);
  };

  const client = async (agent: Agent): Promise<HubClient> => {
    const last = clients.last;
    if (agent.keys === undefined && last !== undefined) return last;
    return clients.get(
      agent.layout,
      agent.keys,
      {
        allow: agent.config.allow,
        onRefusal: (url, reason) => {
          options.say?.(`refused to connect to ${url}: ${reason}`);
          void agent.log.record({ kind: "egress.refuse", subject: url, details: { reason } }).catch(() => undefined);
        },
      },
      now(),
    );
  };

  /** One attestation (with a CSR when the certificate is due for renewal); resolves on a pass. */
  const attest = async (agent: Agent, keys: DeviceKeys): Promise<void> => {
    const renew = await renewalDue(agent.layout, now());
    const answer = await attestOnce(await client(agent), agent.tpm, keys, agent.record, agent.layout, renew, {
      eventLogPath: agent.config.eventLogPath,
      ...(options.say === undefined ? {} : { warn: options.say }),
    });
    if (answer.certificate !== undefined) clients.renewed();
    const at = now().toISOString();
    await agent.log.record({
      kind: answer.result === "pass" ? "attest.pass" : "attest.fail",
      subject: agent.record.deviceId ?? "",
      details: { reasons: answer.reasons.map((r) => r.code), renewed: answer.certificate !== undefined },
    });
    await agent.updateStatus({
      lastAttestation: { at, result: answer.result, reasons: answer.reasons.map((r) => r.code) },
      nextAttestAt: answer.nextAttestAt,
    });
    const hubNext = new Date(answer.nextAttestAt).getTime();
    freshUntil = answer.result === "pass" ? passFreshUntil(now().getTime(), hubNext) : 0;
    hubNextAt = hubNext;
    if (answer.result !== "pass")
      throw new EdgewardError("EW_ERR_AGENT_HUB_REFUSED", {
        detail: `attestation failed: ${answer.reasons[0]?.code ?? ""}`,
      });
  };

  /**
   * Installs the tracked targets and the newest followed releases: one TUF refresh for all of them, each target
   * on its own (a refused one, a rollback or a bad proof, does not keep the others from installing). Returns the
   * first failure. `eager` (an update a release notice started, so there is something to install) starts the TUF
   * refresh at once, beside the hub's listing, rather than after it.
   */
  const install = async (agent: Agent, keys: DeviceKeys, eager = false): Promise<Error | undefined> => {
    let tuf: Promise<TufTargets> | undefined;
    const sharedTuf = (): Promise<TufTargets> =>
      (tuf ??= client(agent).then((hub) => refreshTuf(hub, agent.layout.tuf)));
    // Settled where it is used; a failure here is each target's to report.
    if (eager) sharedTuf().catch(() => undefined);
    const logKey = (await pinnedHub(agent.layout)).logVerifierKey;
    // Followed names add the newest version rolled out to this device (docs/agent.md "Following releases").
    const found = await discoverTargets(
      discoveryDeps(await client(agent), sharedTuf, agent.activation()),
      agent.config.follow,
    );
    let firstError: Error | undefined = found.refusals[0];
    for (const target of [...agent.config.track, ...found.targets]) {
      try {
        const hub = await client(agent);
        tuf ??= sharedTuf();
        const meta = await installTarget(
          {
            activation: agent.activation(),
            client: hub,
            tufDir: agent.layout.tuf,
            tuf,
            logKey,
            attest: () => attest(agent, keys),
            passFresh: () => now().getTime() < freshUntil,
            ...(agent.config.installCommand === undefined ? {} : { installCommand: agent.config.installCommand }),
          },
          target,
        );
        if (meta === undefined) options.say?.(`the hub lists no target ${target}`);
      } catch (err) {
        firstError ??= err instanceof Error ? err : new EdgewardError("EW_ERR_INTERNAL", { cause: err });
      }
    }
    return firstError;
  };

  const cycle = async (agent: Agent): Promise<void> => {
    const keys = agent.keys;
    if (keys === undefined) throw new EdgewardError("EW_ERR_AGENT_BOOT_CHANGED", { detail: "keys are sealed" });
    const started = now().getTime();
    await attest(agent, keys);
    // A group that requires a fresh attestation before a stored release opens gets it now.
    await agent.resume(true);
    await shipLog(agent, await client(agent));
    await shipReview(agent, await client(agent));
    const firstError = await install(agent, keys);
    await agent.updateStatus({});
    await shipLog(agent, await client(agent));
    if (firstError !== undefined) throw firstError;
    busyNotice.clear();
    let next = started + agent.config.hubIntervalMs;
    if (hubNextAt < next && hubNextAt > now().getTime()) next = hubNextAt;
    schedule(agent, Math.max(200, next - now().getTime()));
  };

  /**
   * What a release notice starts (release-watch.ts): the install half of a cycle, now rather than at the next
   * attestation. The key release still needs a fresh pass; the agent attests first when its last one may not be.
   */
  const update = async (agent: Agent): Promise<void> => {
    const keys = agent.keys;
    if (keys === undefined) return;
    const firstError = await install(agent, keys, true);
    await agent.updateStatus({});
    await shipLog(agent, await client(agent));
    if (firstError !== undefined) throw firstError;
  };

  const requestUpdate = (agent: Agent): void => {
    if (stopped || updateQueued) return;
    updateQueued = true;
    void enqueue(async () => {
      updateQueued = false;
      await update(agent);
    }).catch((err: unknown) => report(agent, err));
  };

  const schedule = (agent: Agent, ms: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void enqueue(() => cycle(agent)).catch((err: unknown) => onError(agent, err));
    }, ms);
  };

  /** Says why a cycle or an update failed and records it in status.json; a busy hub is not a failure, so not here. */
  const report = async (agent: Agent, err: unknown): Promise<void> => {
    if (busyRetryMs(err) !== undefined) return;
    const code = isEdgewardError(err) ? err.code : "EW_ERR_INTERNAL";
    options.say?.(`hub cycle: ${code}${isEdgewardError(err) && err.detail ? ` (${err.detail})` : ""}`);
    await agent.updateStatus({ lastError: { code, at: now().toISOString() } }).catch(() => undefined);
  };

  const onError = async (agent: Agent, err: unknown): Promise<void> => {
    const delay = retryDelayMs(err, agent.config.hubIntervalMs, options.random ?? Math.random);
    // A busy hub (429/503 with Retry-After) is neither a failed attestation nor an error to record: come back then.
    if (busyRetryMs(err) !== undefined) {
      busyNotice.busy(err as EdgewardError, delay);
      schedule(agent, delay);
      return;
    }
    busyNotice.clear();
    await report(agent, err);
    schedule(agent, delay);
  };

  const startAudits = (agent: Agent, run: (stateDir: string) => Promise<object>): AuditSchedule => {
    const schedule = new AuditSchedule({
      run: async () => {
        await agent.refreshAuditState();
        return run(agent.layout.root);
      },
      send: async (report) => {
        await (await client(agent)).audit({ report });
      },
      intervalMs: agent.config.auditIntervalMs,
      ...(options.auditTimer === undefined ? {} : { timer: options.auditTimer }),
      ...(options.say === undefined ? {} : { say: options.say }),
    });
    schedule.start(Math.min(FIRST_AUDIT_MS, agent.config.auditIntervalMs));
    return schedule;
  };

  const startWatch = (agent: Agent): ReleaseWatch => {
    const w = new ReleaseWatch({
      names: agent.config.follow,
      client: () => client(agent),
      have: async (name) => {
        const id = (await agent.releases.current()).current;
        const meta = id === undefined ? undefined : await agent.releases.meta(id).catch(() => undefined);
        return meta?.name === name ? meta.version : undefined;
      },
      onRelease: () => requestUpdate(agent),
      retryMs: Math.min(agent.config.hubIntervalMs, 60_000),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
    w.start();
    return w;
  };

  return {
    cycle,
    get audits() {
      return audits;
    },
    start(agent) {
      agentRef = agent;
      if (options.audit !== undefined) audits = startAudits(agent, options.audit);
      void enqueue(() => cycle(agent)).catch((err: unknown) => onError(agent, err));
      if (agent.config.follow.length > 0) watch = startWatch(agent);
    },
    async tamper(record: TamperRecord) {
      const agent = agentRef;
      if (agent === undefined) return;
      await (await client(agent)).tamper({ source: record.source, details: record.details, at: record.at });
      await shipLog(agent, await client(agent)).catch(() => undefined);
    },
    async close() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await audits?.close();
      const closing = watch?.close();
      await queue;
      // A long poll under way ends with the connections.
      clients.close();
      await closing;
    },
  };
}

/**
 * Until when a pass received at `receivedAt` is surely still fresh for key release, from the hub's `nextAttestAt`.
 * The hub schedules the next attestation one policy interval after the pass, within ±10% jitter, and its policy
 * keeps a pass fresh for at least that interval (freshnessMs ≥ attestIntervalMs); half the time to nextAttestAt
 * stays inside the freshness window with room for clock drift. The hub still decides: a stale answer re-attests.
 */
export function passFreshUntil(receivedAt: number, nextAttestAt: number): number {
  return receivedAt + Math.max(0, (nextAttestAt - receivedAt) / 2);
}

/** Ships the log entries the hub has not acknowledged (status.json keeps the size it has). */
async function shipLog(agent: Agent, client: HubClient): Promise<void> {
  const status = await readRuntimeStatus(agent.layout);
  const from = status.logShipped ?? 0;
  if (from >= agent.log.size) return;
  const shipment = await agent.log.shipment(from);
  const answer = await client.shipLog(shipment);
  const size = from + shipment.entries.length;
  await agent.updateStatus({ logShipped: answer.treeSize ?? size });
}
