// A hub app on real storage for tests: SQLite files (or a PostgreSQL URL), a real tlog audit log, a blob directory,
// an injected clock, and one token per role.
import { Writable } from "node:stream";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { tempDir } from "@edgeward/testkit";
import { generateNoteKey, type LogStore } from "@edgeward/tlog";
import { PostgresStore } from "@edgeward/tlog/postgres";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import {
  BlobStore,
  HubAuditLog,
  HubStore,
  ROLES,
  buildApp,
  createGroup,
  createHubLogger,
  createToken,
  refuseDevices,
  type HubDeps,
  type Role,
} from "@edgeward/hub";

/** A clock tests move by hand. */
export class TestClock {
  #now: number;
  constructor(start = Date.parse("2026-05-01T12:00:00.000Z")) {
    this.#now = start;
  }
  now(): Date {
    return new Date(this.#now);
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** A running test hub. */
export interface TestHub {
  readonly app: FastifyInstance;
  readonly deps: HubDeps;
  readonly clock: TestClock;
  /** A bearer token per role. */
  readonly tokens: Readonly<Record<Role, { id: string; token: string }>>;
  /** Every log line the app wrote. */
  readonly logs: string[];
  /** `Authorization` headers for a role. */
  auth(role: Role): { authorization: string };
  close(): Promise<void>;
}

/** Options of {@link startTestHub}. */
export interface TestHubOptions {
  /** Use this PostgreSQL URL (one schema per test, via search_path) instead of SQLite files. */
  readonly postgres?: string;
  /** Use this SQLite file for the hub's database instead of one in the hub's own directory. */
  readonly sqlite?: string;
  /**
   * A second replica on a database another test hub set up (same `postgres` or `sqlite`): it adds no `default`
   * group, and its audit log is a SQLite file of its own (the shared log is not what replica tests look at).
   */
  readonly replica?: boolean;
  readonly deps?: Partial<HubDeps>;
}

/** Builds a hub app with a `default` group and one token per role. */
export async function startTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  const dir = tempDir("edgeward-hub-");
  const clock = new TestClock();
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString("utf8"));
      done();
    },
  });
  const store = await HubStore.open(
    options.postgres === undefined
      ? { sqlite: options.sqlite ?? join(dir.path, "hub.db") }
      : { postgres: options.postgres },
  );
  const logStore: LogStore =
    options.postgres === undefined || options.replica === true
      ? new SqliteStore(join(dir.path, "log.db"))
      : new PostgresStore(options.postgres);
  const audit = await HubAuditLog.create(logStore, generateNoteKey("edgeward.test/hub").signer);
  const deps: HubDeps = {
    store,
    clock,
    logger: createHubLogger({ level: "debug", destination }),
    blobs: new BlobStore(join(dir.path, "blobs")),
    audit,
    facts: () =>
      Promise.resolve({
        caCertificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        escrowRecipient: "age1test",
        logVerifierKey: audit.verifierKey,
        tufRoot: { signed: { _type: "root", version: 1 } },
      }),
    deviceAuth: refuseDevices,
    ...options.deps,
  };
  const app = await buildApp(deps);
  if (options.replica !== true) await createGroup(store.db, { name: "default", policy: "{}", now: clock.now() });
  const tokens = {} as Record<Role, { id: string; token: string }>;
  for (const role of ROLES)
    tokens[role] = await createToken(store.db, { role, label: role, createdBy: null, now: clock.now() });
  return {
    app,
    deps,
    clock,
    tokens,
    logs,
    auth: (role) => ({ authorization: `Bearer ${tokens[role].token}` }),
    close: async () => {
      await app.close();
      dir[Symbol.dispose]();
    },
  };
}
