import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { EdgewardError, generateIdentity, isEdgewardError, loadPublicKey } from "@edgeward/core";
import { generateNoteKey, isValidKeyName, type LogStore } from "@edgeward/tlog";
import { PostgresStore } from "@edgeward/tlog/postgres";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { HubAuditLog } from "../audit/hub-log.ts";
import { createDeviceCa } from "../ca/device-ca.ts";
import { DEFAULT_POLICY } from "../groups/policy.ts";
import { createGroup } from "../store/groups.ts";
import { HubStore } from "../store/hub-store.ts";
import { createToken } from "../store/tokens.ts";
import { DatabaseTufStore } from "../store/tuf-files.ts";
import { DEFAULT_TUF_POLICY, exportTufSigner, generateTufSigner, initTufRepository } from "../tuf/index.ts";
import { existing, writeFileAtomic } from "./files.ts";
import { hubPaths, type HubConfig } from "./layout.ts";
import { splitPostgresPassword } from "./postgres-secret.ts";
import { addPublisherKey } from "./publishers.ts";
import { issueServerCertificate } from "./server-cert.ts";

const PEM_CERT = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\n?/g;

/** What `edgeward hub init` asks for. */
export interface InitHubOptions {
  readonly dir: string;
  /** A PostgreSQL URL; without it the database is SQLite files in the directory. */
  readonly postgres?: string | undefined;
  /** Overwrite the secrets of an existing hub (which discards them); SQLite databases are recreated. */
  readonly force?: boolean | undefined;
  /** Host names and addresses the TLS certificate names (default localhost, 127.0.0.1, ::1). */
  readonly hosts?: readonly string[] | undefined;
  /** The URL clients will use (default https://<first host>:8443). */
  readonly hubUrl?: string | undefined;
  /** The log's origin (default edgeward.hub/<random>). */
  readonly origin?: string | undefined;
  /** TUF root keys to create (default 1) and how many must sign a new root (default 1). */
  readonly rootKeys?: number | undefined;
  readonly rootThreshold?: number | undefined;
  /** OMS publisher public keys (SPKI PEM text) whose release signatures the hub accepts (HUB/publishers/). */
  readonly publisherKeys?: readonly string[] | undefined;
  /** TPM manufacturer CA certificates (PEM text) to trust for EK certificate chains (HUB/ek-ca/). */
  readonly ekCertificates?: readonly string[] | undefined;
  readonly now: Date;
}

/** What init reports; the admin token is shown here once and stored only hashed. */
export interface InitHubResult {
  readonly dir: string;
  readonly adminToken: string;
  readonly adminTokenId: string;
  /** Path of the CA certificate (PEM) clients pass as --ca. */
  readonly caCertificate: string;
  readonly hubUrl: string;
  readonly escrowRecipient: string;
  readonly logVerifierKey: string;
  /** The directory of the TUF root and targets keys, to move off the server. */
  readonly offlineDir: string;
  readonly database: "sqlite" | "postgres";
  /** The OMS key hints of the trusted publisher keys; with none, every release is refused until one is added. */
  readonly publisherKeys: readonly string[];
}

/**
 * Creates a hub in `dir` (ARCHITECTURE.md, hub): the device CA and the hub's TLS certificate, the log key, the escrow
 * age identity, the TUF keys (root and targets under offline/), the database with a `default` group, the TUF
 * repository's first version, the audit log, and a first admin token. Secret files are 0600 and written atomically;
 * an existing hub is refused (EW_ERR_HUB_DIR_EXISTS) unless `force`. hub.json is written last, so a directory
 * without it is an unfinished init that `serve` refuses.
 */
export async function initHub(options: InitHubOptions): Promise<InitHubResult> {
  const paths = hubPaths(options.dir);
  const secrets = [
    paths.caKey,
    paths.tlsKey,
    paths.logKey,
    paths.escrowIdentity,
    paths.tufSnapshot,
    paths.tufTimestamp,
    paths.tufReleases,
    paths.postgresPassword,
  ];
  const found = existing([paths.config, ...secrets, paths.offline]);
  if (found.length > 0 && options.force !== true)
    throw new EdgewardError("EW_ERR_HUB_DIR_EXISTS", { detail: found.join(", ") });
  const hosts = options.hosts?.length ? options.hosts : ["localhost", "127.0.0.1", "::1"];
  const origin = options.origin ?? `edgeward.hub/${Math.random().toString(16).slice(2, 10)}`;
  if (!isValidKeyName(origin)) throw new EdgewardError("EW_ERR_USAGE", { detail: "the log origin has spaces or '+'" });
  const rootKeys = options.rootKeys ?? 1;
  const rootThreshold = options.rootThreshold ?? 1;
  if (!(rootThreshold >= 1 && rootThreshold <= rootKeys))
    throw new EdgewardError("EW_ERR_USAGE", {
      detail: "the root threshold must be between 1 and the number of root keys",
    });
  // Checked before anything is written (EW_ERR_SIG_KEY_INVALID).
  for (const pem of options.publisherKeys ?? []) loadPublicKey(pem);
  const postgres = options.postgres === undefined ? undefined : splitPostgresPassword(options.postgres);
  const ekPems = (options.ekCertificates ?? []).flatMap((text) => text.match(PEM_CERT) ?? []);
  if (ekPems.length < (options.ekCertificates ?? []).length)
    throw new EdgewardError("EW_ERR_USAGE", { detail: "an EK CA file holds no PEM certificate" });
  if (options.postgres === undefined && options.force === true)
    await Promise.all(
      [paths.sqlite, paths.logDb].flatMap((p) => [p, `${p}-wal`, `${p}-shm`]).map((p) => rm(p, { force: true })),
    );

  const ca = await createDeviceCa(options.now);
  const tls = await issueServerCertificate(ca, hosts, options.now);
  const logKey = generateNoteKey(origin);
  const escrow = generateIdentity("x25519");
  const offline = {
    root: Array.from({ length: rootKeys }, () => generateTufSigner()),
    targets: [generateTufSigner()],
  };
  const online = { snapshot: generateTufSigner(), timestamp: generateTufSigner(), releases: generateTufSigner() };

  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const store = await HubStore.open(
    options.postgres === undefined ? { sqlite: paths.sqlite } : { postgres: options.postgres },
  );
  let admin;
  let logVerifierKey: string;
  const publishers: string[] = [];
  const logStore: LogStore =
    options.postgres === undefined ? new SqliteStore(paths.logDb) : new PostgresStore(options.postgres);
  let logOwned = false;
  try {
    // Before any secret is written: a database that already holds a hub is refused, so its keys stay usable.
    await refuseUsedDatabase(store, logStore);
    await writeFileAtomic(paths.caKey, ca.keyPem, 0o600);
    await writeFileAtomic(paths.caCert, ca.certificatePem, 0o644);
    await writeFileAtomic(paths.tlsKey, tls.keyPem, 0o600);
    await writeFileAtomic(paths.tlsCert, tls.certificatePem, 0o644);
    await writeFileAtomic(paths.logKey, logKey.skey, 0o600);
    await writeFileAtomic(paths.escrowIdentity, escrow.identityText, 0o600);
    if (postgres?.password !== undefined) await writeFileAtomic(paths.postgresPassword, postgres.password, 0o600);
    else await rm(paths.postgresPassword, { force: true });
    await writeFileAtomic(paths.tufSnapshot, exportTufSigner(online.snapshot), 0o600);
    await writeFileAtomic(paths.tufTimestamp, exportTufSigner(online.timestamp), 0o600);
    await writeFileAtomic(paths.tufReleases, exportTufSigner(online.releases), 0o600);
    for (const [i, s] of offline.root.entries())
      await writeFileAtomic(join(paths.offline, `root-${i + 1}.pem`), exportTufSigner(s), 0o600);
    await writeFileAtomic(join(paths.offline, "targets-1.pem"), exportTufSigner(offline.targets[0]!), 0o600);
    for (const pem of options.publisherKeys ?? []) publishers.push((await addPublisherKey(paths.publishers, pem)).id);
    for (const [i, pem] of ekPems.entries())
      await writeFileAtomic(join(paths.ekCa, `ek-ca-${i + 1}.pem`), pem.endsWith("\n") ? pem : `${pem}\n`, 0o644);

    await createGroup(store.db, { name: "default", policy: JSON.stringify(DEFAULT_POLICY), now: options.now });
    await initTufRepository({
      store: new DatabaseTufStore(store),
      offline,
      online,
      now: options.now,
      policy: { ...DEFAULT_TUF_POLICY, rootThreshold },
    });
    const audit = await HubAuditLog.create(logStore, logKey.signer);
    logOwned = true;
    logVerifierKey = audit.verifierKey;
    try {
      admin = await createToken(store.db, { role: "admin", label: "first admin", createdBy: null, now: options.now });
      await audit.append({
        time: options.now.toISOString(),
        actor: "cli",
        kind: "hub.init",
        subject: origin,
        details: { adminToken: admin.id, rootKeys, rootThreshold, escrowRecipient: escrow.recipient },
      });
    } finally {
      await audit.close();
    }
  } finally {
    if (!logOwned) await logStore.close();
    await store.close();
  }
  const hubUrl = options.hubUrl ?? `https://${hosts[0]!.includes(":") ? `[${hosts[0]}]` : hosts[0]}:8443`;
  const config: HubConfig = {
    format: 1,
    origin,
    // The password stays out of hub.json (hubdir/postgres-secret.ts).
    database: postgres === undefined ? { kind: "sqlite" } : { kind: "postgres", url: postgres.url },
    hubUrl,
    escrowRecipient: escrow.recipient,
    createdAt: options.now.toISOString(),
  };
  await writeFileAtomic(paths.config, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  return {
    dir: options.dir,
    adminToken: admin.token,
    adminTokenId: admin.id,
    caCertificate: paths.caCert,
    hubUrl,
    escrowRecipient: escrow.recipient,
    logVerifierKey,
    offlineDir: paths.offline,
    database: config.database.kind,
    publisherKeys: publishers,
  };
}

/** EW_ERR_HUB_DIR_EXISTS when the database already holds a hub's TUF repository or audit log. */
async function refuseUsedDatabase(store: HubStore, log: LogStore): Promise<void> {
  const tuf = await new DatabaseTufStore(store).get("root.json");
  const hasLog = await log.readMeta().then(
    () => true,
    (err: unknown) => {
      if (isEdgewardError(err, "EW_ERR_LOG_NOT_FOUND")) return false;
      throw err;
    },
  );
  if (tuf !== undefined || hasLog)
    throw new EdgewardError("EW_ERR_HUB_DIR_EXISTS", {
      detail: `the database ${store.location} already holds a hub; give init an empty database`,
    });
}
