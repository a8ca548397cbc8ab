import { X509Certificate } from "node:crypto";
import { readdir } from "node:fs/promises";
import type { ServerOptions } from "node:https";
import { join } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import { EdgewardError } from "@edgeward/core";
import { BlobStore } from "../blobs/blob-store.ts";
import { deviceTlsOptions } from "../ca/peer.ts";
import { systemClock, type Clock, type HubDeps } from "../deps.ts";
import type { OverloadLimits } from "../http/overload.ts";
import { openDeviceSide } from "../device/open.ts";
import { createHubLogger } from "../logger.ts";
import { openReleases, type ReleasesService } from "../releases/index.ts";
import { DatabaseTufStore } from "../store/tuf-files.ts";
import { openHubDatabase } from "./database.ts";
import { readHubFile } from "./files.ts";
import { readPublisherKeys } from "./publishers.ts";
import { parseReviewLimits } from "../review/review-limits.ts";
import { hubPaths, readHubConfig, type HubConfig, type HubPaths } from "./layout.ts";

/** What `serve` may override. */
export interface OpenHubOptions {
  readonly dir: string;
  /** A PostgreSQL URL to use instead of the one in hub.json (same database, e.g. other credentials). */
  readonly postgres?: string | undefined;
  readonly logger?: FastifyBaseLogger | undefined;
  readonly clock?: Clock | undefined;
  /** When device requests are shed (docs/hub.md "Overload"); omitted fields take the defaults. */
  readonly overload?: Partial<OverloadLimits> | undefined;
}

/** An opened hub directory: the app's dependencies and the HTTPS server's TLS settings. */
export interface OpenedHub {
  readonly deps: HubDeps;
  readonly tls: ServerOptions;
  readonly config: HubConfig;
  readonly paths: HubPaths;
}

/**
 * Opens what `edgeward hub init` created, for `serve`: the database (migrated), the audit log (checked against its
 * last signed checkpoint), the blob store, the public facts, and the TLS settings: the hub's key and certificate,
 * TLS 1.2 at least, and a client-certificate request that does not fail the handshake (enrolment needs none; device
 * routes check the certificate themselves).
 */
export async function openHub(options: OpenHubOptions): Promise<OpenedHub> {
  const paths = hubPaths(options.dir);
  const config = await readHubConfig(paths);
  const review = parseReviewLimits(config.review, `${paths.config} review`);
  const [caPem, caKey, tlsKey, tlsCert] = await Promise.all(
    [paths.caCert, paths.caKey, paths.tlsKey, paths.tlsCert].map(readHubFile),
  );
  const ek = await readEkCertificates(paths.ekCa);
  const { store, audit } = await openHubDatabase(paths, config, options.postgres);
  const tuf = new DatabaseTufStore(store);
  const publisherPems = async () => (await readPublisherKeys(paths.publishers)).map((k) => k.publicKeyPem);
  const clock = options.clock ?? systemClock;
  const blobs = new BlobStore(paths.blobs);
  let releases: ReleasesService;
  let deviceSide: Awaited<ReturnType<typeof openDeviceSide>>;
  try {
    releases = await openReleases({
      store,
      blobs,
      log: audit,
      clock: () => clock.now(),
      readFile: readHubFile,
      paths,
      publisherKeys: publisherPems,
    });
    deviceSide = await openDeviceSide({
      db: store.db,
      caKeyPem: caKey!,
      caCertificatePem: caPem!,
      audit,
      now: () => clock.now(),
      releases,
      manufacturerRoots: ek.roots,
      manufacturerIntermediates: ek.intermediates,
    });
  } catch (err) {
    await audit.close();
    await store.close();
    throw err;
  }
  const deps: HubDeps = {
    store,
    clock,
    logger: options.logger ?? createHubLogger(),
    blobs,
    audit,
    releases,
    review,
    facts: async () => ({
      caCertificate: caPem!,
      escrowRecipient: config.escrowRecipient,
      logVerifierKey: audit.verifierKey,
      tufRoot: await firstRoot(tuf),
      publisherKeys: await publisherPems(),
    }),
    deviceAuth: deviceSide.deviceAuth,
    device: deviceSide.device,
    ...(options.overload === undefined ? {} : { limits: { overload: options.overload } }),
  };
  const device = deviceTlsOptions(caPem!);
  const tls: ServerOptions = { key: tlsKey!, cert: tlsCert!, ...device, ca: [...device.ca] };
  return { deps, tls, config, paths };
}

async function firstRoot(tuf: DatabaseTufStore): Promise<Record<string, unknown>> {
  const bytes = await tuf.get("1.root.json");
  if (bytes === undefined) throw new EdgewardError("EW_ERR_HUB_DIR_INVALID", { detail: "the TUF root is missing" });
  return JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, unknown>;
}

/**
 * The TPM manufacturers' CA certificates trusted for EK certificate chains: every PEM certificate in HUB/ek-ca/
 * (`hub init --ek-ca FILE` copies them there); self-signed ones are roots, the others intermediates. None means
 * devices enrol by one-time token only.
 */
async function readEkCertificates(dir: string): Promise<{ roots: string[]; intermediates: string[] }> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const roots: string[] = [];
  const intermediates: string[] = [];
  for (const name of names.filter((n) => n.endsWith(".pem")).sort()) {
    const pem = await readHubFile(join(dir, name));
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch (err) {
      throw new EdgewardError("EW_ERR_HUB_DIR_INVALID", {
        detail: `${name} in ${dir} is not a certificate`,
        cause: err,
      });
    }
    (cert.checkIssued(cert) ? roots : intermediates).push(pem);
  }
  return { roots, intermediates };
}
