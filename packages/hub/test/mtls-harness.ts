// A hub on HTTPS with the device CA wired in, for the mTLS tests: buildApp with real storage (SQLite), the device
// services on the hub's database, the mTLS device authenticator, and a server certificate from the device CA.
// Outside clients (curl, openssl s_client) talk to it over a real socket.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { FastifyInstance } from "fastify";
import { generateNoteKey, SqliteStore } from "@edgeward/tlog";
import type { TpmDevice } from "@edgeward/tpm";
import { buildApp } from "../src/app.ts";
import { HubAuditLog } from "../src/audit/hub-log.ts";
import { BlobStore } from "../src/blobs/blob-store.ts";
import { mtlsDeviceAuthenticator } from "../src/ca/authenticator.ts";
import { createDeviceCa, DeviceCa } from "../src/ca/device-ca.ts";
import { deviceTlsOptions } from "../src/ca/peer.ts";
import type { HubDeps } from "../src/deps.ts";
import { DatabaseDeviceStore } from "../src/device/database-store.ts";
import { issueServerCertificate } from "../src/hubdir/server-cert.ts";
import { createHubLogger } from "../src/logger.ts";
import { HubStore } from "../src/store/hub-store.ts";
import { deviceHarness, type DeviceHarness } from "./device-harness.ts";

const run = promisify(execFile);

/** A listening hub and what tests need to reach it. */
export interface MtlsHub {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly port: number;
  readonly caPath: string;
  readonly ca: DeviceCa;
  readonly h: DeviceHarness;
  close(): Promise<void>;
}

/** Starts the hub on 127.0.0.1 with a random port; the clock is real time, as TLS peers check validity by it. */
export async function startMtlsHub(reference: TpmDevice, dir: string): Promise<MtlsHub> {
  const now = new Date();
  const caFiles = await createDeviceCa(now);
  const ca = await DeviceCa.load(caFiles);
  const server = await issueServerCertificate(caFiles, ["127.0.0.1", "localhost"], now);
  const caPath = join(dir, "hub-ca.pem");
  writeFileSync(caPath, caFiles.certificatePem);
  const store = await HubStore.open({ sqlite: join(dir, "hub.db") });
  const h = await deviceHarness(reference, dir, new DatabaseDeviceStore(store.db), { ca, now: () => new Date() });
  const audit = await HubAuditLog.create(
    new SqliteStore(join(dir, "log.db")),
    generateNoteKey("edgeward.test/hub").signer,
  );
  const deps: HubDeps = {
    store,
    clock: { now: () => new Date() },
    logger: createHubLogger({ level: "warn" }),
    blobs: new BlobStore(join(dir, "blobs")),
    audit,
    facts: () =>
      Promise.resolve({
        caCertificate: caFiles.certificatePem,
        escrowRecipient: "age1test",
        logVerifierKey: audit.verifierKey,
        tufRoot: {},
      }),
    deviceAuth: mtlsDeviceAuthenticator(h.services.denyList),
    device: h.services,
  };
  const tls = deviceTlsOptions(caFiles.certificatePem);
  const app = await buildApp(deps, {
    https: { key: server.keyPem, cert: server.certificatePem, ...tls, ca: [...tls.ca] },
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { app, url: `https://127.0.0.1:${port}`, port, caPath, ca, h, close: () => app.close() };
}

/** curl as an outside client: returns the HTTP status and body (status 0 when the TLS handshake failed). */
export async function curl(
  hub: Pick<MtlsHub, "url" | "caPath">,
  path: string,
  body: unknown,
  opts: { cert?: string; key?: string; extra?: string[] } = {},
): Promise<{ status: number; body: string }> {
  const args = ["-sS", "--cacert", hub.caPath, "-w", "\n%{http_code}", "-H", "content-type: application/json"];
  if (body !== undefined) args.push("--data-binary", JSON.stringify(body));
  if (opts.cert !== undefined) args.push("--cert", opts.cert);
  if (opts.key !== undefined) args.push("--key", opts.key);
  args.push(...(opts.extra ?? []), `${hub.url}${path}`);
  try {
    const { stdout } = await run("curl", args, { timeout: 20_000 });
    const cut = stdout.lastIndexOf("\n");
    return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
  } catch (err) {
    return { status: 0, body: String((err as { stderr?: string }).stderr ?? err) };
  }
}

/** openssl s_client as an outside client sending one raw HTTP request; returns everything it printed. */
export async function sClient(hub: MtlsHub, request: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      "openssl",
      [
        "s_client",
        "-connect",
        `127.0.0.1:${hub.port}`,
        "-CAfile",
        hub.caPath,
        "-quiet",
        "-verify_return_error",
        ...args,
      ],
      { timeout: 20_000 },
      (err, stdout, stderr) => resolve({ ok: err === null, out: `${stdout}\n${stderr}` }),
    );
    child.stdin?.end(request);
  });
}
