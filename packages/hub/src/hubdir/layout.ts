import { join } from "node:path";
import { EdgewardError } from "@edgeward/core";
import { readHubFile } from "./files.ts";

/** Where everything of a hub lives under its directory. Secret files are mode 0600. */
export function hubPaths(dir: string) {
  return {
    dir,
    config: join(dir, "hub.json"),
    caKey: join(dir, "ca", "ca.key"),
    caCert: join(dir, "ca", "ca.pem"),
    tlsKey: join(dir, "tls", "server.key"),
    tlsCert: join(dir, "tls", "server.pem"),
    logKey: join(dir, "log", "log.key"),
    escrowIdentity: join(dir, "escrow", "identity.txt"),
    /** The PostgreSQL password, kept out of hub.json (hubdir/postgres-secret.ts). */
    postgresPassword: join(dir, "secrets", "postgres-password"),
    tufSnapshot: join(dir, "tuf", "snapshot.pem"),
    tufTimestamp: join(dir, "tuf", "timestamp.pem"),
    tufReleases: join(dir, "tuf", "releases.pem"),
    /** The TUF root and top-level targets keys: to be moved off the server after init (ARCHITECTURE.md, flow 4). */
    offline: join(dir, "offline"),
    /** The OMS publisher keys (SPKI PEM) whose release signatures the hub accepts (hubdir/publishers.ts). */
    publishers: join(dir, "publishers"),
    /** TPM manufacturers' CA certificates (PEM) trusted for EK certificate chains. */
    ekCa: join(dir, "ek-ca"),
    sqlite: join(dir, "hub.db"),
    logDb: join(dir, "log.db"),
    blobs: join(dir, "blobs"),
  } as const;
}

/** The paths of a hub directory. */
export type HubPaths = ReturnType<typeof hubPaths>;

/** hub.json: what `serve` needs besides the key files. Holds no secret: a PostgreSQL URL is kept without password. */
export interface HubConfig {
  readonly format: 1;
  /** The hub log's origin (c2sp.org/tlog-checkpoint), also its key's name. */
  readonly origin: string;
  /**
   * Where the database is: "sqlite" (hub.db and log.db in the directory) or a PostgreSQL URL without its password
   * (which is in HUB/secrets/postgres-password, or PGPASSWORD, or a `--postgres` URL given to serve).
   */
  readonly database: { readonly kind: "sqlite" } | { readonly kind: "postgres"; readonly url: string };
  /** The URL clients use, e.g. https://hub.example:8443. */
  readonly hubUrl: string;
  readonly escrowRecipient: string;
  readonly createdAt: string;
  /** Review entries' bounds and retention (docs/hub.md "Review entries"); checked by parseReviewLimits. */
  readonly review?: unknown;
}

/** Reads and checks hub.json (EW_ERR_HUB_DIR_INVALID when missing or malformed). */
export async function readHubConfig(paths: HubPaths): Promise<HubConfig> {
  const text = await readHubFile(paths.config);
  let v: Partial<HubConfig>;
  try {
    v = JSON.parse(text) as Partial<HubConfig>;
  } catch (err) {
    throw new EdgewardError("EW_ERR_HUB_DIR_INVALID", { detail: `${paths.config} is not JSON`, cause: err });
  }
  const db = v.database as { kind?: unknown; url?: unknown } | undefined;
  const dbOk = db !== undefined && (db.kind === "sqlite" || (db.kind === "postgres" && typeof db.url === "string"));
  if (v.format !== 1 || typeof v.origin !== "string" || typeof v.hubUrl !== "string" || !dbOk)
    throw new EdgewardError("EW_ERR_HUB_DIR_INVALID", { detail: `${paths.config} is incomplete` });
  return v as HubConfig;
}
