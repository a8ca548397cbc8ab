/**
 * The releases service (ARCHITECTURE.md, flows 1 and 4): accepts a release (manifest, then the ciphertext as a
 * stream), publishes it as a TUF target, logs it in the hub's audit log, changes its rollout, and re-wraps its file
 * key for one device once the device side's policy said yes. The hub never holds plaintext: the ciphertext goes to
 * the content-addressed blob store, the header stays wrapped to the escrow key except in memory during a re-wrap.
 */
import { createHash, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { EdgewardError, type AgeIdentity, type wire } from "@edgeward/core";
import { auditEvent, type AuditEvent, type LogReader, type Receipt } from "@edgeward/tlog";
import type { TufRepository } from "../tuf/index.ts";
import { GUARD_TARGET_SUFFIX, parseGroups, parseManifest } from "./manifest.ts";
import type { SignedRelease } from "./oms-check.ts";
import type { ByteRange } from "./range.ts";
import { checkEscrowHeader, rewrapForDevice } from "./rewrap.ts";
import type { ReleaseListOptions, ReleaseRecord, ReleaseStore } from "./store.ts";

/** The blob store as the releases service uses it (the hub's content-addressed BlobStore). */
export interface ReleaseBlobs {
  put(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, expected?: string): Promise<{ sha256: string }>;
  read(sha256: string, range?: { start: number; end: number }): Promise<Readable>;
}

/** The hub's audit log as the releases service uses it (HubAuditLog). */
export interface ReleaseLog {
  append(event: AuditEvent): Promise<Receipt>;
  readonly reader: LogReader;
  readonly verifierKey: string;
}

/** What the device side's key release needs to know of a published release. */
export interface ReleaseFacts {
  readonly id: string;
  readonly kind: "model" | "package";
  readonly name: string;
  readonly version: string;
  readonly floor: string;
  readonly groups: readonly string[];
  readonly sealed: boolean;
}

/** Everything the service needs, injected. */
export interface ReleasesDeps {
  readonly tuf: TufRepository;
  readonly store: ReleaseStore;
  readonly blobs: ReleaseBlobs;
  readonly log: ReleaseLog;
  /** The hub's escrow identity (age), held in memory. */
  readonly escrow: readonly AgeIdentity[];
  readonly clock: () => Date;
  /** Checks a release's OMS bundle before it is recorded (oms-check.ts); none in tests that build the service. */
  readonly checkBundle?: (release: SignedRelease) => Promise<unknown>;
}

/** The releases service; see the module comment. */
export class ReleasesService {
  readonly #deps: ReleasesDeps;
  readonly #listeners = new Set<() => void>();

  constructor(deps: ReleasesDeps) {
    this.#deps = deps;
  }

  /**
   * Records a release from an untrusted manifest: checks it (EW_ERR_RELEASE_INVALID), checks that the hub's
   * escrow identity opens its header (EW_ERR_RELEASE_ESCROW), and stores the OMS bundle. The release is published
   * only once its ciphertext is uploaded ({@link upload}).
   */
  async create(manifestInput: unknown, createdBy: string | null): Promise<ReleaseRecord> {
    const manifest = parseManifest(manifestInput);
    await this.#deps.checkBundle?.(manifest);
    if (manifest.header !== undefined) await checkEscrowHeader(manifest.header, this.#deps.escrow);
    await this.#deps.blobs.put([manifest.bundle], manifest.bundleSha256);
    const record: ReleaseRecord = {
      id: randomUUID(),
      kind: manifest.kind,
      name: manifest.name,
      version: manifest.version,
      targetName: `${manifest.name}/${manifest.version}`,
      sha256: manifest.sha256,
      length: manifest.length,
      floor: manifest.floor,
      groups: manifest.groups,
      header: manifest.header === undefined ? null : Buffer.from(manifest.header).toString("base64"),
      bundleSha256: manifest.bundleSha256,
      logIndex: null,
      createdAt: this.#deps.clock().toISOString(),
      createdBy,
      ...(manifest.guard === undefined ? {} : { guard: { ...manifest.guard, uploaded: false } }),
    };
    await this.#deps.store.insert(record);
    return record;
  }

  /**
   * Streams the ciphertext into the blob store, stopping as soon as it runs past the manifest's length and
   * refusing other contents (EW_ERR_RELEASE_DIGEST_MISMATCH); then publishes the TUF target (and the guard's, when
   * the release has one) and logs the release. EW_ERR_RELEASE_STATE when it is already published;
   * EW_ERR_GUARD_PAYLOAD_MISSING when it declared a guard whose payload is not uploaded yet ({@link uploadGuard}
   * first: a release is published only with both payloads in). A retry after a failure is safe: each step is
   * idempotent.
   */
  async upload(id: string, chunks: AsyncIterable<Uint8Array>): Promise<ReleaseRecord> {
    const record = await this.#require(id);
    if (record.logIndex !== null) throw new EdgewardError("EW_ERR_RELEASE_STATE", { detail: "already published" });
    if (record.guard !== undefined && !record.guard.uploaded) throw new EdgewardError("EW_ERR_GUARD_PAYLOAD_MISSING");
    await this.#putChecked(chunks, record.length, record.sha256);
    const guardTarget = guardTargetOf(record);
    await this.#deps.tuf.publish([targetOf(record), ...(guardTarget === undefined ? [] : [guardTarget])]);
    const receipt = await this.#deps.log.append(this.#event(record, "model.publish", record.createdBy));
    await this.#deps.store.update(id, { logIndex: receipt.index });
    this.#changed();
    return { ...record, logIndex: receipt.index };
  }

  /**
   * Streams the guard payload (the guard bundle sealed under the release's file key, no header; contract §2) into
   * the blob store with the same checks as the model's ciphertext, against the guard's length and SHA-256 in the
   * manifest (EW_ERR_RELEASE_DIGEST_MISMATCH), and records it. EW_ERR_GUARD_NOT_DECLARED when the manifest named no
   * guard, EW_ERR_RELEASE_STATE once the release is published. Uploading it again before then is harmless.
   */
  async uploadGuard(id: string, chunks: AsyncIterable<Uint8Array>): Promise<ReleaseRecord> {
    const record = await this.#require(id);
    const guard = record.guard;
    if (guard === undefined) throw new EdgewardError("EW_ERR_GUARD_NOT_DECLARED", { detail: id });
    if (record.logIndex !== null) throw new EdgewardError("EW_ERR_RELEASE_STATE", { detail: "already published" });
    await this.#putChecked(chunks, guard.length, guard.sha256);
    const next = { ...guard, uploaded: true };
    await this.#deps.store.update(id, { guard: next });
    return { ...record, guard: next };
  }

  /**
   * Sets the groups a release is rolled out to and republishes its TUF target's custom metadata. The operator
   * route that calls it is logged by the app's audit hook (every mutating operator call is).
   */
  async rollout(id: string, groups: unknown): Promise<ReleaseRecord> {
    const current = await this.#require(id);
    const record = { ...current, groups: parseGroups(groups) };
    await this.#deps.store.update(id, { groups: record.groups });
    if (record.logIndex !== null) {
      await this.#deps.tuf.publish([targetOf(record)]);
      this.#changed();
    }
    return record;
  }

  /**
   * Calls `listener` after each publication and each rollout change of a published release, once the store holds
   * it (the device listing's long polls wake on it: release-feed.ts). Returns what unsubscribes it.
   */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A TUF metadata file for a device (TufRepository.metadata: the timestamp is refreshed when due). */
  metadata(name: string): Promise<Uint8Array> {
    return this.#deps.tuf.metadata(name);
  }

  /**
   * Finds a published target by the path a TUF client asks for: with consistent snapshots "DIR/SHA256.BASE"
   * (TUF 1.0 §5.7.3), or the plain target path. Only under its own hash; EW_ERR_TUF_TARGET_NOT_FOUND otherwise.
   */
  async findTarget(requestPath: string): Promise<{ readonly sha256: string; readonly length: number }> {
    const slash = requestPath.lastIndexOf("/");
    const base = requestPath.slice(slash + 1);
    const hashed = /^([0-9a-f]{64})\.(.+)$/.exec(base);
    const path = hashed === null ? requestPath : requestPath.slice(0, slash + 1) + (hashed[2] ?? "");
    const target = await this.#deps.tuf.target(path);
    const sha256 = target?.hashes["sha256"];
    if (target === undefined || sha256 === undefined || (hashed !== null && hashed[1] !== sha256)) {
      throw new EdgewardError("EW_ERR_TUF_TARGET_NOT_FOUND", { detail: requestPath });
    }
    return { sha256, length: target.length };
  }

  /** The bytes `range.start`..`range.end` (inclusive) of a target found with {@link findTarget}. */
  async readTarget(sha256: string, range: ByteRange): Promise<Readable> {
    if (range.end < range.start) return Readable.from([]);
    return this.#deps.blobs.read(sha256, { start: range.start, end: range.end });
  }

  /** The release with `id`, published or not. */
  find(id: string): Promise<ReleaseRecord | undefined> {
    return this.#deps.store.get(id);
  }

  /** Releases in creation order (only those named `name`, when given). */
  list(options: ReleaseListOptions): Promise<ReleaseRecord[]> {
    return this.#deps.store.list(options);
  }

  /** The facts key release decides on; undefined unless the release exists and is published. */
  async get(id: string): Promise<ReleaseFacts | undefined> {
    const r = await this.#deps.store.get(id);
    if (r === undefined || r.logIndex === null) return undefined;
    return {
      id: r.id,
      kind: r.kind,
      name: r.name,
      version: r.version,
      floor: r.floor,
      groups: r.groups,
      sealed: r.header !== null,
    };
  }

  /**
   * The release's header re-wrapped to `recipient`, with the release's log entry, its inclusion proof in the
   * latest checkpoint, that checkpoint and the log's key, so the device can check the hub logged what it receives.
   * Called by the device side only after its policy checks. EW_ERR_RELEASE_NOT_SEALED for an unsealed package.
   */
  async rewrap(id: string, recipient: string): Promise<wire.ReleaseKeyResponse> {
    const record = await this.#require(id);
    if (record.logIndex === null) throw new EdgewardError("EW_ERR_RELEASE_STATE", { detail: "not published" });
    if (record.header === null) throw new EdgewardError("EW_ERR_RELEASE_NOT_SEALED");
    const header = await rewrapForDevice(Buffer.from(record.header, "base64"), this.#deps.escrow, recipient);
    const reader = this.#deps.log.reader;
    const checkpoint = await reader.checkpoint();
    const proof = await reader.inclusionProof(record.logIndex, checkpoint.size);
    return {
      header: Buffer.from(header).toString("base64"),
      logEntry: { index: record.logIndex, leafHash: Buffer.from(proof.leafHash).toString("hex") },
      inclusionProof: {
        treeSize: proof.treeSize,
        index: proof.index,
        hashes: proof.proof.map((h) => Buffer.from(h).toString("hex")),
      },
      checkpoint: checkpoint.note,
      logKey: this.#deps.log.verifierKey,
      leaf: Buffer.from(await reader.entry(record.logIndex)).toString("base64"),
    };
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Streams an upload into the blob store, checked against the declared length and SHA-256. */
  async #putChecked(chunks: AsyncIterable<Uint8Array>, length: number, sha256: string): Promise<void> {
    const checked = checkedStream(chunks, length);
    try {
      await this.#deps.blobs.put(checked.stream, sha256);
    } catch (err) {
      if (checked.done() && checked.sha256() !== sha256) {
        throw new EdgewardError("EW_ERR_RELEASE_DIGEST_MISMATCH", { detail: "sha256", cause: err });
      }
      throw err;
    }
  }

  async #require(id: string): Promise<ReleaseRecord> {
    const record = await this.#deps.store.get(id);
    if (record === undefined) throw new EdgewardError("EW_ERR_RELEASE_NOT_FOUND", { detail: id });
    return record;
  }

  #event(record: ReleaseRecord, kind: string, actor: string | null): AuditEvent {
    return auditEvent({
      time: this.#deps.clock().toISOString(),
      actor: actor === null ? "hub" : `token:${actor}`,
      kind,
      subject: `${record.kind}:${record.name}@${record.version}`,
      details: {
        release: record.id,
        target: record.targetName,
        sha256: record.sha256,
        length: record.length,
        floor: record.floor,
        groups: [...record.groups],
        omsBundleSha256: record.bundleSha256,
        headerSha256: record.header === null ? null : sha256Hex(Buffer.from(record.header, "base64")),
        // The guard file's digest is part of what the log records for the release (contract §3).
        ...(record.guard === undefined
          ? {}
          : { guardConfigSha256: record.guard.configSha256, guardSha256: record.guard.sha256 }),
      },
    });
  }
}

/**
 * The TUF target of a release: the ciphertext, and the release facts in `custom` (TUF 1.0 §4.5). A release with a
 * guard names it in `custom.guard`: the guard file's digest (what the device checks the unpacked guard file
 * against) and the guard's own target path.
 */
export function targetOf(record: ReleaseRecord) {
  return {
    path: record.targetName,
    length: record.length,
    sha256: record.sha256,
    custom: {
      releaseId: record.id,
      name: record.name,
      version: record.version,
      floor: record.floor,
      kind: record.kind,
      sealed: record.header !== null,
      omsBundleSha256: record.bundleSha256,
      groups: [...record.groups],
      ...(record.guard === undefined
        ? {}
        : { guard: { configSha256: record.guard.configSha256, target: guardTargetPath(record) } }),
    },
  };
}

/**
 * The TUF target of a release's guard payload, or undefined without a guard: path "NAME/VERSION.guard", the
 * payload's length and SHA-256, `custom: {releaseId, kind: "guard"}`. The device downloads it through the same
 * TUF-verified path as the model and opens it with the same released header.
 */
export function guardTargetOf(record: ReleaseRecord) {
  if (record.guard === undefined) return undefined;
  return {
    path: guardTargetPath(record),
    length: record.guard.length,
    sha256: record.guard.sha256,
    custom: { releaseId: record.id, kind: "guard" },
  };
}

function guardTargetPath(record: ReleaseRecord): string {
  return `${record.targetName}${GUARD_TARGET_SUFFIX}`;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Wraps an upload: counts and hashes it, and stops it once it passes `length` bytes. */
function checkedStream(chunks: AsyncIterable<Uint8Array>, length: number) {
  const hash = createHash("sha256");
  let seen = 0;
  let finished = false;
  let digest = "";
  async function* stream(): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      seen += chunk.byteLength;
      if (seen > length) throw new EdgewardError("EW_ERR_RELEASE_DIGEST_MISMATCH", { detail: "longer than declared" });
      hash.update(chunk);
      yield chunk;
    }
    finished = true;
    digest = hash.digest("hex");
  }
  return { stream: stream(), done: () => finished, sha256: () => digest };
}
