/**
 * Test helpers for releases: a service over a TUF repository, a real tlog log on SQLite, an X25519 escrow identity,
 * and models sealed to the escrow recipient as a publisher would (header and payload apart).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { join } from "node:path";
import {
  generateIdentity,
  parseIdentities,
  parseRecipient,
  sealStream,
  type AgeIdentity,
  type wire,
} from "@edgeward/core";
import {
  DurableLog,
  generateNoteKey,
  leafHash,
  openCheckpoint,
  parseVerifierKey,
  verifyInclusion,
} from "@edgeward/tlog";
import { SqliteStore } from "@edgeward/tlog/sqlite";
import { MemoryReleaseStore, ReleasesService, type ReleaseBlobs, type ReleaseLog } from "../../src/releases/index.ts";
import { makeRepository, type TestRepository } from "../tuf/helpers.ts";

/**
 * An in-memory stand-in for the hub's content-addressed BlobStore (the real one is on the filesystem and is tested
 * with the app); it keeps the same contract: refuse content whose SHA-256 is not `expected`.
 */
export class MemoryBlobsForTest implements ReleaseBlobs {
  readonly blobs = new Map<string, Uint8Array>();

  async put(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, expected?: string): Promise<{ sha256: string }> {
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    const bytes = Buffer.concat(parts);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    if (expected !== undefined && expected !== sha256) throw new Error("digest differs");
    this.blobs.set(sha256, bytes);
    return { sha256 };
  }

  read(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    const bytes = this.blobs.get(sha256) ?? Buffer.alloc(0);
    return Promise.resolve(Readable.from([range === undefined ? bytes : bytes.subarray(range.start, range.end + 1)]));
  }
}

/** A service with everything it needs, and the parts tests look into. */
export interface TestReleases {
  readonly service: ReleasesService;
  readonly tuf: TestRepository;
  readonly blobs: MemoryBlobsForTest;
  readonly log: DurableLog;
  readonly escrow: AgeIdentity[];
  readonly escrowText: string;
  readonly escrowRecipient: string;
  /** Closes the log (`await using r = await makeReleases(dir)`). */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Builds a releases service; the log lives in `dir`. */
export async function makeReleases(dir: string): Promise<TestReleases> {
  const tuf = await makeRepository();
  const blobs = new MemoryBlobsForTest();
  const { signer } = generateNoteKey("edgeward.test/hub");
  const log = await DurableLog.create(new SqliteStore(join(dir, "log.db")), { origin: signer.name, signer });
  const releaseLog: ReleaseLog = {
    append: (event) => log.appendEvent(event),
    reader: log.reader,
    verifierKey: log.meta.vkey,
  };
  const { identityText, recipient } = generateIdentity("x25519");
  const escrow = parseIdentities(identityText);
  const service = new ReleasesService({
    tuf: tuf.repo,
    store: new MemoryReleaseStore(),
    blobs,
    log: releaseLog,
    escrow,
    clock: () => tuf.clock.now,
  });
  return {
    service,
    tuf,
    blobs,
    log,
    escrow,
    escrowText: identityText,
    escrowRecipient: recipient,
    [Symbol.asyncDispose]: () => log.close(),
  };
}

/** A model sealed to `recipient`: the age header and the payload apart, as `edgeward model publish` uploads them. */
export async function sealApart(
  plaintext: Uint8Array,
  recipient: string,
): Promise<{ header: Buffer; payload: Buffer }> {
  const pieces: Uint8Array[] = [];
  for await (const piece of sealStream([plaintext], [parseRecipient(recipient)])) pieces.push(piece);
  const [header, ...payload] = pieces;
  return { header: Buffer.from(header ?? []), payload: Buffer.concat(payload) };
}

/** A manifest for `payload` with `header`, as JSON. */
export function manifestFor(
  payload: Uint8Array,
  header: Uint8Array | undefined,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: "classifier",
    version: "1.0.0",
    kind: "model",
    groups: ["shop"],
    length: payload.length,
    sha256: createHash("sha256").update(payload).digest("hex"),
    ...(header === undefined ? {} : { header: Buffer.from(header).toString("base64") }),
    bundle: Buffer.from(JSON.stringify({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" })).toString(
      "base64",
    ),
    ...fields,
  };
}

/** `bytes` as an upload stream of `size`-byte chunks. */
export async function* chunked(bytes: Uint8Array, size = 65_536): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  await Promise.resolve();
}

/** Random plaintext standing in for a model. */
export function fakeModel(size = 200_000): Buffer {
  return randomBytes(size);
}

/**
 * Checks a key-release answer as a device does (ARCHITECTURE.md flow 7): the checkpoint is signed by the log key,
 * the leaf hashes to the entry named, and the inclusion proof leads from it to the checkpoint's root. Returns the
 * logged event.
 */
export function checkLogged(answer: wire.ReleaseKeyResponse): Record<string, unknown> {
  const checkpoint = openCheckpoint(answer.checkpoint, parseVerifierKey(answer.logKey));
  const entry = Buffer.from(answer.leaf ?? "", "base64");
  const leaf = leafHash(entry);
  assert.equal(Buffer.from(leaf).toString("hex"), answer.logEntry.leafHash);
  const p = answer.inclusionProof;
  verifyInclusion(
    leaf,
    p.index,
    p.treeSize,
    p.hashes.map((h) => Buffer.from(h, "hex")),
    checkpoint.root,
  );
  return JSON.parse(entry.toString("utf8")) as Record<string, unknown>;
}

/** The kinds of the entries of a hub's audit log, in order (each entry is an audit event's JSON). */
export async function auditKinds(reader: {
  checkpoint(): Promise<{ size: number }>;
  entry(index: number): Promise<Uint8Array>;
}): Promise<string[]> {
  const kinds: string[] = [];
  const { size } = await reader.checkpoint();
  for (let i = 0; i < size; i++)
    kinds.push((JSON.parse(Buffer.from(await reader.entry(i)).toString()) as { kind: string }).kind);
  return kinds;
}
