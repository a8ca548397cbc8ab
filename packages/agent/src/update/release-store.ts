/**
 * Releases on disk (docs/agent.md "State directory"): each in releases/ID/ as its age payload (the TUF target,
 * ciphertext), its guard payload when it carries a guard (its second TUF target, ciphertext under the same file
 * key), its device header (wrapped to this TPM's key) and its facts. current.json names the serving release
 * and the previous one, kept encrypted for rollback; the one before is deleted when a new one becomes current.
 */
import { readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { EdgewardError } from "@edgeward/core";
import { readJson, syncFiles, writeJson, writePrivateFile } from "../state/files.ts";
import type { StateLayout } from "../state/layout.ts";

/**
 * The guard a model release carries (docs/releases.md "A guard in a release"): its own TUF target, the guard
 * payload sealed under the release's file key, and the guard file's digest the model target's custom metadata names.
 */
export interface ReleaseGuardMeta {
  /** SHA-256 (hex) of guard.yaml's exact bytes: the loader refuses any other guard file (EW_ERR_GUARD_DIGEST). */
  readonly configSha256: string;
  /** The guard payload's TUF target path, and the length and SHA-256 TUF vouches for. */
  readonly targetName: string;
  readonly length: number;
  readonly sha256: string;
}

/** A release's facts, from its TUF target's custom metadata (as the hub publishes them). */
export interface ReleaseMeta {
  readonly releaseId: string;
  readonly name: string;
  readonly version: string;
  /** The floor installing it raises the TPM counter to. */
  readonly floor: string;
  readonly kind: "model" | "package";
  /** The TUF target path and the ciphertext's length and SHA-256 it vouches for. */
  readonly targetName: string;
  readonly length: number;
  readonly sha256: string;
  /** When a package release was installed (its install command exited 0). */
  readonly installedAt?: string;
  /** False for a package published unsealed (signed only); models are always sealed. */
  readonly sealed?: boolean;
  /** The OMS bundle (parsed JSON, untrusted until verified) the release was published with, when known. */
  readonly omsBundle?: unknown;
  /** The release's guard, when it carries one. */
  readonly guard?: ReleaseGuardMeta;
}

/** current.json. */
export interface CurrentReleases {
  readonly current?: string;
  readonly previous?: string;
}

/** The releases in one state directory. */
export class ReleaseStore {
  readonly #layout: StateLayout;

  constructor(layout: StateLayout) {
    this.#layout = layout;
  }

  /** Paths of release `id`. */
  paths(id: string): ReturnType<StateLayout["release"]> {
    return this.#layout.release(id);
  }

  /** Where release `id`'s guard payload lies (ciphertext, beside the model's payload). */
  guardPayload(id: string): string {
    return join(this.paths(id).dir, "guard.age");
  }

  /**
   * Records a release's facts. With `sync: false` they are not flushed here: {@link persist} flushes them with the
   * rest of the release before it becomes current.
   */
  saveMeta(meta: ReleaseMeta, options: { readonly sync?: boolean } = {}): Promise<void> {
    return writePrivateFile(this.paths(meta.releaseId).meta, `${JSON.stringify(meta, null, 2)}\n`, options);
  }

  /**
   * Stores the device header the hub released for `id`. Not flushed here: {@link persist} makes the release durable
   * as a whole, beside its activation, before the release becomes current.
   */
  saveHeader(id: string, header: Uint8Array): Promise<void> {
    return writePrivateFile(this.paths(id).header, header, { sync: false });
  }

  /**
   * Flushes release `id`'s facts, header and payloads (the model's, and the guard's when it has one) and their directory,
   * so a release that becomes current opens again after a power loss (docs/agent.md "Restart without the hub");
   * EW_ERR_IO when one is missing or cannot be flushed.
   */
  async persist(id: string): Promise<void> {
    const { dir, meta, header, payload } = this.paths(id);
    const guard = this.guardPayload(id);
    const files = [meta, header, payload];
    if (await exists(guard)) files.push(guard);
    await syncFiles(files, dir);
  }

  /** A release's facts; EW_ERR_AGENT_STATE when absent or malformed. */
  async meta(id: string): Promise<ReleaseMeta> {
    const v = (await readJson(this.paths(id).meta)) as Partial<ReleaseMeta> | undefined;
    if (
      v === undefined ||
      typeof v.releaseId !== "string" ||
      typeof v.name !== "string" ||
      typeof v.version !== "string" ||
      typeof v.floor !== "string" ||
      typeof v.sha256 !== "string" ||
      typeof v.length !== "number" ||
      (v.guard !== undefined && !isGuardMeta(v.guard))
    )
      throw new EdgewardError("EW_ERR_AGENT_STATE", { detail: `release ${id} has no valid release.json` });
    return v as ReleaseMeta;
  }

  /** The stored device header, or undefined (never released here, or deleted by a tamper response). */
  async header(id: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.paths(id).header));
    } catch {
      return undefined;
    }
  }

  /** current.json. */
  async current(): Promise<CurrentReleases> {
    const v = (await readJson(this.#layout.current)) as CurrentReleases | undefined;
    return v ?? {};
  }

  /**
   * Makes `id` current and keeps the one it replaces as previous; the release that was previous before drops off
   * and is deleted. Releases downloaded but never activated are left alone.
   */
  async switchTo(id: string): Promise<CurrentReleases> {
    const was = await this.current();
    const next: CurrentReleases =
      was.current === undefined || was.current === id ? { current: id } : { current: id, previous: was.current };
    await writeJson(this.#layout.current, next);
    const dropped = was.previous;
    if (dropped !== undefined && dropped !== next.current && dropped !== next.previous)
      await rm(this.paths(dropped).dir, { recursive: true, force: true });
    return next;
  }
}

function isGuardMeta(v: unknown): v is ReleaseGuardMeta {
  const g = v as Partial<ReleaseGuardMeta> | null;
  return (
    typeof g === "object" &&
    g !== null &&
    typeof g.configSha256 === "string" &&
    typeof g.targetName === "string" &&
    typeof g.length === "number" &&
    typeof g.sha256 === "string"
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
