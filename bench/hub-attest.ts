// Benchmark: full attestation cycles through the hub (ARCHITECTURE.md flow 3; target at least 1,000 cycles/s on
// SQLite with p99 under 100 ms): each simulated device (bench/hub-attest-sim.ts, so the hub and not swtpm is
// measured) asks for a challenge and returns a quote over HTTPS with mTLS and keep-alive, and the hub stores the
// nonce, spends it, verifies the quote in process, applies the group's policy, stores the result and appends to
// its audit log. The anchor, in the same run: in-process verifyQuote alone on the same kind of quote.
// Clients and hub share this process, so the CPU seconds are both sides together.
//
//   node bench/hub-attest.ts [--devices 20] [--seconds 5] [--postgres] [--sync normal]
//
// Writes bench/out/hub-attest.json.
import "reflect-metadata";
import { generateKeyPairSync, createPublicKey, webcrypto } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as x509 from "@peculiar/x509";
import { sql } from "kysely";
import { parsePcrSelectionText, parseTpm2bPublic, publicKeyOf, verifyQuote, type PcrValues } from "@edgeward/core";
import { generateNoteKey, SqliteStore } from "@edgeward/tlog";
import { startPostgres } from "@edgeward/testkit";
import { buildApp } from "../packages/hub/src/app.ts";
import { HubAuditLog } from "../packages/hub/src/audit/hub-log.ts";
import { BlobStore } from "../packages/hub/src/blobs/blob-store.ts";
import { createDeviceCa, DeviceCa, deviceTlsOptions } from "../packages/hub/src/ca/index.ts";
import { DatabaseDeviceStore, openDeviceSide } from "../packages/hub/src/device/index.ts";
import { issueServerCertificate } from "../packages/hub/src/hubdir/server-cert.ts";
import { createHubLogger } from "../packages/hub/src/logger.ts";
import { HubStore } from "../packages/hub/src/store/hub-store.ts";
import { median } from "./lib/measure.ts";
import { SimulatedTpm } from "./hub-attest-sim.ts";

const { values } = parseArgs({
  options: {
    devices: { type: "string", default: "20" },
    seconds: { type: "string", default: "5" },
    // "normal": the hub database's SQLite synchronous=NORMAL (WAL: durable across a process crash, not a power cut),
    // to show how much of a cycle is the fsync of synchronous=FULL, the hub's default.
    sync: { type: "string", default: "full" },
    // The hub database on a throwaway PostgreSQL (testkit startPostgres) instead of SQLite.
    postgres: { type: "boolean", default: false },
  },
});
const DEVICES = Number(values.devices);
const SECONDS = Number(values.seconds);
const PCRS = "sha256:0,1,2,3,4,5,6,7";
const zeros: PcrValues = {
  sha256: Object.fromEntries(parsePcrSelectionText(PCRS)[0]!.pcrs.map((i) => [i, new Uint8Array(32)])),
};

const dir = mkdtempSync(join(tmpdir(), "edgeward-bench-hub-"));
const now = new Date();
const caFiles = await createDeviceCa(now);
const ca = await DeviceCa.load(caFiles);
const server = await issueServerCertificate(caFiles, ["127.0.0.1"], now);
const pg = values.postgres ? await startPostgres() : undefined;
const store = await HubStore.open(pg === undefined ? { sqlite: join(dir, "hub.db") } : { postgres: pg.url });
if (values.sync === "normal" && pg === undefined) await sql`PRAGMA synchronous = NORMAL`.execute(store.db);
const audit = await HubAuditLog.create(new SqliteStore(join(dir, "log.db")), generateNoteKey("bench/hub").signer);
const side = await openDeviceSide({
  db: store.db,
  caKeyPem: caFiles.keyPem,
  caCertificatePem: caFiles.certificatePem,
  audit,
  now: () => new Date(),
  releases: { get: () => Promise.resolve(undefined), rewrap: () => Promise.reject(new Error("no releases")) },
});
const devices = new DatabaseDeviceStore(store.db);
await devices.putGroup({
  name: "bench",
  autoApprove: true,
  attestPcrs: PCRS,
  reference: { sha256: Object.fromEntries(Object.keys(zeros.sha256 ?? {}).map((i) => [i, ["00".repeat(32)]])) },
  learn: false,
  quarantineOnFail: false,
  unwrapPolicy: { pcrs: "sha256:7", digests: [] },
  freshnessMs: 600_000,
  attestIntervalMs: 60_000,
});
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

interface Sim {
  readonly id: string;
  readonly tpm: SimulatedTpm;
  readonly agent: Agent;
}
const sims: Sim[] = [];
for (let i = 0; i < DEVICES; i++) {
  const tpm = new SimulatedTpm(zeros);
  const id = `dev-bench${i}`;
  await devices.insertDevice({
    id,
    group: "bench",
    state: "trusted",
    ekDigest: `ek${i}`,
    akPublic: Buffer.from(tpm.akPublic).toString("hex"),
    akQualifiedName: Buffer.from(tpm.qualifiedSigner).toString("hex"),
    recipient: "age1tag1bench",
    unwrapPolicyDigest: "00",
    enrolledVia: "token",
    createdAt: now.toISOString(),
  });
  const { cert, keyPem } = await clientCertificate(id);
  sims.push({
    id,
    tpm,
    agent: new Agent({ keepAlive: true, maxSockets: 1, cert, key: keyPem, ca: caFiles.certificatePem }),
  });
}

// Anchor: the bare in-process quote verification (what tpm-quote-verify.ts measures), on a simulated quote.
const anchorTpm = new SimulatedTpm(zeros);
const anchorNonce = new Uint8Array(32);
const anchorQuote = anchorTpm.quote(PCRS, anchorNonce);
const anchorKey = publicKeyOf(parseTpm2bPublic(anchorTpm.akPublic));
let anchorN = 0;
const a0 = process.cpuUsage();
const aEnd = performance.now() + 1000 * Math.min(SECONDS, 3);
while (performance.now() < aEnd) {
  verifyQuote({
    message: anchorQuote.attest,
    signature: anchorQuote.signature,
    akPublicKey: anchorKey,
    nonce: anchorNonce,
    pcrValues: zeros,
  });
  anchorN++;
}
const aCpu = process.cpuUsage(a0);
const anchorPerCpuSec = anchorN / ((aCpu.user + aCpu.system) / 1e6);

// The run: every device loops challenge → quote for SECONDS.
const latencies: number[] = [];
let failures = 0;
const cpu0 = process.cpuUsage();
const start = performance.now();
const end = start + SECONDS * 1000;
await Promise.all(
  sims.map(async (s) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const ch = (await post(s, "/v1/device/attest/challenge", { deviceId: s.id, banks: ["sha256"] })) as {
          nonce: string;
          pcrSelection: string;
        };
        const q = s.tpm.quote(ch.pcrSelection, Buffer.from(ch.nonce, "hex"));
        const r = (await post(s, "/v1/device/attest/quote", {
          deviceId: s.id,
          nonce: ch.nonce,
          quote: {
            attest: Buffer.from(q.attest).toString("base64"),
            signature: Buffer.from(q.signature).toString("base64"),
          },
          pcrs: { sha256: Object.fromEntries(Object.keys(zeros.sha256 ?? {}).map((i) => [i, "00".repeat(32)])) },
        })) as { result: string };
        if (r.result !== "pass") failures++;
      } catch {
        failures++;
      }
      latencies.push(performance.now() - t0);
    }
  }),
);
const wall = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const sorted = [...latencies].sort((x, y) => x - y);
const p99 = sorted[Math.floor(0.99 * (sorted.length - 1))] ?? 0;
const result = {
  devices: DEVICES,
  database: values.postgres ? "postgres" : "sqlite",
  sync: values.sync,
  seconds: wall,
  cycles: latencies.length,
  failures,
  cyclesPerSec: latencies.length / wall,
  cyclesPerCpuSec: latencies.length / cpuSeconds,
  medianMs: median(latencies),
  p99Ms: p99,
  cpuSeconds,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  anchorVerifyPerCpuSec: anchorPerCpuSec,
  ratioCyclesToBareVerifyPerCpuSec: latencies.length / cpuSeconds / anchorPerCpuSec,
  loadavg: loadavg(),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/hub-attest.json", import.meta.url), JSON.stringify(result, null, 2));
for (const s of sims) s.agent.destroy();
await app.close();
await pg?.stop();
rmSync(dir, { recursive: true, force: true });

async function clientCertificate(id: string): Promise<{ cert: string; keyPem: string }> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const keyPem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const keys = {
    privateKey: await webcrypto.subtle.importKey(
      "pkcs8",
      privateKey.export({ format: "der", type: "pkcs8" }),
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["sign"],
    ),
    publicKey: await webcrypto.subtle.importKey(
      "spki",
      createPublicKey(privateKey).export({ format: "der", type: "spki" }),
      { name: "ECDSA", namedCurve: "P-256" },
      true,
      ["verify"],
    ),
  };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${id}`,
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
  });
  const issued = await ca.issue(csr.toString("pem"), id, new Date());
  return { cert: issued.pem, keyPem };
}

function post(s: Sim, path: string, body: unknown): Promise<unknown> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        agent: s.agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text));
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
