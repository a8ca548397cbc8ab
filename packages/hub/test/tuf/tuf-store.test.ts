// The TUF repository on each metadata store: in memory, and in the hub's database (SQLite, PostgreSQL). On
// PostgreSQL two replicas publish at once and no release is lost (the store's writer lock, TUF 1.0 §4.4 snapshot).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startPostgres, tempDir, type PostgresServer } from "@edgeward/testkit";
import { HubStore } from "../../src/store/hub-store.ts";
import { DatabaseTufStore } from "../../src/store/tuf-files.ts";
import {
  generateTufSigner,
  initTufRepository,
  MemoryTufStore,
  TufRepository,
  type TufMetadataStore,
} from "../../src/tuf/index.ts";
import { freshSchema } from "../helpers/postgres.ts";
import { makeClient, type TestRepository } from "./helpers.ts";

interface Opened {
  readonly store: TufMetadataStore;
  close(): Promise<void>;
}

/** Creates a repository on `first` and returns a TestRepository view of it for the tuf-js helpers. */
async function repositoryOn(first: TufMetadataStore): Promise<TestRepository> {
  const offline = { root: [generateTufSigner()], targets: [generateTufSigner()] };
  const online = { snapshot: generateTufSigner(), timestamp: generateTufSigner(), releases: generateTufSigner() };
  const clock = { now: new Date() };
  const policy = {
    rootThreshold: 1,
    targetsThreshold: 1,
    binBits: 3,
    expiry: { root: 1e7, targets: 1e7, releases: 1e7, snapshot: 1e6, timestamp: 14400 },
  };
  await initTufRepository({ store: first, offline, online, now: clock.now, policy });
  const repo = await TufRepository.open({ store: first, online, clock: () => clock.now, policy });
  return { store: first as MemoryTufStore, offline, online, policy, clock, repo, blobs: new Map() };
}

function target(i: number, replica: string) {
  const bytes = Buffer.from(`release ${replica} ${i}`);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return { bytes, input: { path: `m-${replica}/${i}`, length: bytes.length, sha256, custom: { replica } } };
}

/** Where a repository lives: opened once per replica. */
interface Place {
  open(): Promise<Opened>;
  dispose(): void;
}

function tufStoreSuite(fresh: () => Promise<Place>, replicas: boolean): void {
  it("a repository on this store serves a tuf-js client that starts from root 1", async () => {
    using dir = tempDir();
    const place = await fresh();
    const a = await place.open();
    try {
      const t = await repositoryOn(a.store);
      const { bytes, input } = target(1, "a");
      t.blobs.set(input.sha256, bytes);
      await t.repo.publish([input]);
      const { updater, targetDir } = await makeClient(t, dir.path);
      const info = await updater.getTargetInfo(input.path);
      assert.ok(info);
      await updater.downloadTarget(info, join(targetDir, "x"));
    } finally {
      await a.close();
      place.dispose();
    }
  });

  if (!replicas) return;
  it("two replicas publishing at once lose no release: the last snapshot lists every bin they wrote", async () => {
    using dir = tempDir();
    const place = await fresh();
    const a = await place.open();
    const b = await place.open();
    try {
      const t = await repositoryOn(a.store);
      const other = await TufRepository.open({
        store: b.store,
        online: t.online,
        clock: () => t.clock.now,
        policy: t.policy,
      });
      const all = [
        ...Array.from({ length: 12 }, (_, i) => target(i, "a")),
        ...Array.from({ length: 12 }, (_, i) => target(i, "b")),
      ];
      await Promise.all(all.map((x, i) => (i % 2 === 0 ? t.repo : other).publish([x.input])));
      const { updater } = await makeClient(t, dir.path);
      for (const x of all) {
        assert.equal((await updater.getTargetInfo(x.input.path))?.length, x.bytes.length, x.input.path);
      }
      const timestamp = JSON.parse(Buffer.from(await t.repo.metadata("timestamp.json")).toString()) as {
        signed: { version: number };
      };
      assert.equal(timestamp.signed.version, 1 + all.length, "one repository version per publish, none lost");
    } finally {
      await a.close();
      await b.close();
      place.dispose();
    }
  });
}

describe("TUF repository in memory (two replicas share one store object)", () => {
  tufStoreSuite(() => {
    const store = new MemoryTufStore();
    return Promise.resolve({
      open: () => Promise.resolve({ store, close: () => Promise.resolve() }),
      dispose: () => undefined,
    });
  }, true);
});

describe("TUF repository in the hub database (SQLite)", () => {
  tufStoreSuite(() => {
    const dir = tempDir();
    return Promise.resolve({
      open: async () => {
        const hub = await HubStore.open({ sqlite: join(dir.path, "hub.db") });
        return { store: new DatabaseTufStore(hub), close: () => hub.close() };
      },
      dispose: () => dir[Symbol.dispose](),
    });
  }, false);
});

describe("TUF repository in the hub database (PostgreSQL, two replicas)", () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server.stop());
  let n = 0;
  tufStoreSuite(async () => {
    const url = await freshSchema(server.url, `tuf${n++}`);
    return {
      open: async () => {
        const hub = await HubStore.open({ postgres: url });
        return { store: new DatabaseTufStore(hub), close: () => hub.close() };
      },
      dispose: () => undefined,
    };
  }, true);
});
