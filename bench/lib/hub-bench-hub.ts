// The hub side of the hub benchmarks: a real hub (buildApp with the device side, HTTPS, mTLS) on SQLite or a
// throwaway PostgreSQL, its audit log on SQLite (or on the same PostgreSQL), and a fleet of simulated devices put in
// its store. Devices are inserted as `trusted` rows, not enrolled through MakeCredential/ActivateCredential: the
// software keystore (bench/hub-attest-sim.ts) has no EK to activate a credential with, and the benchmarks measure
// attestation cycles, not enrolment (which swtpm's own latency dominates; bench/tpm-ops.ts).
import { generateKeyPairSync, createPublicKey, webcrypto } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { sql } from "kysely";
import { generateNoteKey } from "@edgeward/tlog";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { PostgresStore } from "@edgeward/tlog/postgres";
import { startPostgres, type PostgresServer } from "@edgeward/testkit";
import { buildApp } from "../../packages/hub/src/app.ts";
import { HubAuditLog } from "../../packages/hub/src/audit/hub-log.ts";
import { BlobStore } from "../../packages/hub/src/blobs/blob-store.ts";
import { createDeviceCa, DeviceCa, deviceTlsOptions } from "../../packages/hub/src/ca/index.ts";
import { attestationStatus } from "../../packages/hub/src/device/attestation.ts";
import { DatabaseDeviceStore, openDeviceSide } from "../../packages/hub/src/device/index.ts";
import { issueServerCertificate } from "../../packages/hub/src/hubdir/server-cert.ts";
import { createHubLogger } from "../../packages/hub/src/logger.ts";
import type { OverloadLimits } from "../../packages/hub/src/http/overload.ts";
import { HubStore } from "../../packages/hub/src/store/hub-store.ts";
import { LOCK_KEYS, writerLock } from "../../packages/hub/src/store/writer-lock.ts";
import { BENCH_PCRS, BENCH_PCR_VALUES, SimulatedTpm } from "../hub-attest-sim.ts";

/** What a client process needs to act as one device. */
export interface DeviceSpec {
  readonly id: string;
  /** The AK's private key, PKCS#8 DER, base64. */
  readonly ak: string;
  /** The device's mTLS certificate (PEM), issued by the hub's CA. */
  readonly cert: string;
}

/** A running benchmark hub. */
export interface BenchHub {
  readonly port: number;
  readonly caPem: string;
  /** The one TLS key every simulated device's certificate is issued for (PEM). */
  readonly clientKeyPem: string;
  readonly database: "sqlite" | "postgres";
  /** COMMITs of the hub's SQLite database so far (undefined on PostgreSQL). */
  dbCommits(): number | undefined;
  /** Statements the hub's store sent to PostgreSQL so far, each a round trip (undefined on SQLite). */
  dbRoundTrips(): number | undefined;
  /** Devices by attestation status now (pass, fail, timeout, never), as operators see them. */
  statusCounts(): Promise<Record<string, number>>;
  /** Inserts `count` trusted devices (ids `${prefix}${i}`) and returns what clients need to drive them. */
  addDevices(count: number, prefix: string, attestIntervalMs?: number): Promise<DeviceSpec[]>;
  close(): Promise<void>;
}

/** Starts a hub; `sync: "normal"` sets the SQLite hub database to synchronous=NORMAL (default FULL). */
export async function startBenchHub(options: {
  postgres: boolean;
  sync?: "full" | "normal";
  /** SQLite group commit: how long a transaction waits for company (store/group-commit.ts; default 0, one turn). */
  commitDelayMs?: number;
  /** When the hub sheds device requests (http/overload.ts); omitted fields take the hub's defaults. */
  overload?: Partial<OverloadLimits>;
}): Promise<BenchHub> {
  const dir = mkdtempSync(join(tmpdir(), "edgeward-bench-hub-"));
  const now = new Date();
  const caFiles = await createDeviceCa(now);
  const ca = await DeviceCa.load(caFiles);
  const server = await issueServerCertificate(caFiles, ["127.0.0.1"], now);
  const pg: PostgresServer | undefined = options.postgres ? await startPostgres() : undefined;
  const store = await HubStore.open(
    pg === undefined
      ? { sqlite: join(dir, "hub.db"), groupCommit: { commitDelayMs: options.commitDelayMs ?? 0 } }
      : { postgres: pg.url },
  );
  if (options.sync === "normal" && pg === undefined) await sql`PRAGMA synchronous = NORMAL`.execute(store.db);
  // On PostgreSQL the audit log shares the database and takes turns with other replicas (as `hub serve` does).
  const signer = generateNoteKey("bench/hub").signer;
  const audit =
    pg === undefined
      ? await HubAuditLog.create(new SqliteStore(join(dir, "log.db")), signer)
      : await HubAuditLog.create(new PostgresStore(pg.url), signer, writerLock(store, LOCK_KEYS.auditLog));
  const side = await openDeviceSide({
    db: store.db,
    caKeyPem: caFiles.keyPem,
    caCertificatePem: caFiles.certificatePem,
    audit,
    now: () => new Date(),
    releases: { get: () => Promise.resolve(undefined), rewrap: () => Promise.reject(new Error("no releases")) },
  });
  const devices = new DatabaseDeviceStore(store.db);
  const app = await buildApp(
    {
      store,
      clock: { now: () => new Date() },
      logger: createHubLogger({ level: "fatal" }),
      blobs: new BlobStore(join(dir, "blobs")),
      audit,
      facts: () => Promise.reject(new Error("unused")),
      deviceAuth: side.deviceAuth,
      device: side.device,
      ...(options.overload === undefined ? {} : { limits: { overload: options.overload } }),
    },
    {
      https: {
        key: server.keyPem,
        cert: server.certificatePem,
        ...deviceTlsOptions(caFiles.certificatePem),
        ca: [caFiles.certificatePem],
      },
    },
  );
  await app.listen({ host: "127.0.0.1", port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const client = await clientCsr();
  const groups = new Set<number>();

  return {
    port,
    caPem: caFiles.certificatePem,
    clientKeyPem: client.keyPem,
    database: pg === undefined ? "sqlite" : "postgres",
    async addDevices(count, prefix, attestIntervalMs = 60_000) {
      const group = `bench-${attestIntervalMs}`;
      if (!groups.has(attestIntervalMs)) {
        groups.add(attestIntervalMs);
        await devices.putGroup({
          name: group,
          autoApprove: true,
          attestPcrs: BENCH_PCRS,
          reference: {
            sha256: Object.fromEntries(Object.keys(BENCH_PCR_VALUES.sha256 ?? {}).map((i) => [i, ["00".repeat(32)]])),
          },
          learn: false,
          quarantineOnFail: false,
          unwrapPolicy: { pcrs: "sha256:7", digests: [] },
          freshnessMs: 600_000,
          attestIntervalMs,
        });
      }
      const specs: DeviceSpec[] = [];
      // Certificates are signed through WebCrypto, which runs on libuv's thread pool: a few at a time.
      for (let from = 0; from < count; from += 64) {
        const chunk = Array.from({ length: Math.min(64, count - from) }, (_, k) => from + k);
        specs.push(
          ...(await Promise.all(
            chunk.map(async (i) => {
              const id = `${prefix}${i}`;
              const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
              const tpm = new SimulatedTpm(BENCH_PCR_VALUES, privateKey);
              await devices.insertDevice({
                id,
                group,
                state: "trusted",
                ekDigest: `ek-${id}`,
                akPublic: Buffer.from(tpm.akPublic).toString("hex"),
                akQualifiedName: Buffer.from(tpm.qualifiedSigner).toString("hex"),
                recipient: "age1tag1bench",
                unwrapPolicyDigest: "00",
                enrolledVia: "token",
                createdAt: now.toISOString(),
              });
              const issued = await ca.issue(client.csrPem, id, new Date(), 7 * 24 * 3600_000);
              const ak = privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
              return { id, ak, cert: issued.pem };
            }),
          )),
        );
      }
      return specs;
    },
    dbCommits: () => store.commits,
    dbRoundTrips: () => store.roundTrips,
    async statusCounts() {
      const counts: Record<string, number> = {};
      const now = new Date();
      for (const d of await devices.listDevices()) {
        const s = attestationStatus(d, now);
        counts[s] = (counts[s] ?? 0) + 1;
      }
      return counts;
    },
    async close() {
      await app.close();
      await pg?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One P-256 TLS key and its CSR, which every simulated device's certificate is issued for. */
async function clientCsr(): Promise<{ keyPem: string; csrPem: string }> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const keyPem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
  const keys = {
    privateKey: await webcrypto.subtle.importKey(
      "pkcs8",
      privateKey.export({ format: "der", type: "pkcs8" }),
      EC,
      false,
      ["sign"],
    ),
    publicKey: await webcrypto.subtle.importKey(
      "spki",
      createPublicKey(privateKey).export({ format: "der", type: "spki" }),
      EC,
      true,
      ["verify"],
    ),
  };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=bench-device",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
  });
  return { keyPem, csrPem: csr.toString("pem") };
}
