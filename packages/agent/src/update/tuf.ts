/**
 * TUF on the device (ARCHITECTURE.md promise 6): tuf-js's Updater walks the client workflow (TUF 1.0 §5: root
 * rotation, timestamp, snapshot, targets and delegated bins, with expiry, thresholds and rollback checks) from the
 * root pinned at enrolment in STATE/tuf/. Its bytes come through {@link HubFetcher}: the agent's mTLS egress
 * client with `Readable.toWeb` (ARCHITECTURE.md machine notes), never a global fetch.
 */
import { Readable } from "node:stream";
import { BaseFetcher, Updater } from "tuf-js";
// tuf-js ends root rotation on its own error type with a 404 for the next root (TUF 1.0 §5.3.4), and takes its own
// length error for metadata longer than allowed (TUF 1.0 §5.4.1: the download is bounded).
import { DownloadHTTPError, DownloadLengthMismatchError } from "tuf-js/dist/error.js";
import { EdgewardError, isEdgewardError } from "@edgeward/core";
import type { HubClient } from "../hub/hub-client.ts";
import type { EgressResponse } from "../net/egress.ts";
import { guardOfTarget } from "./guard-target.ts";
import type { ReleaseMeta } from "./release-store.ts";

/**
 * A tuf-js fetcher over the hub's device API. Metadata is read into memory (tuf-js's own downloadBytes spools each
 * file through a temporary file and reads it back, several file-system round trips per metadata file).
 */
export class HubFetcher extends BaseFetcher {
  readonly #client: HubClient;

  constructor(client: HubClient) {
    super();
    this.#client = client;
  }

  override async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    let res: EgressResponse;
    try {
      res = await this.#client.getBytes(url, maxLength);
    } catch (err) {
      if (isEdgewardError(err, "EW_ERR_INPUT_TOO_LARGE"))
        throw new DownloadLengthMismatchError(`${url} is longer than ${maxLength} bytes`);
      throw err;
    }
    if (res.status !== 200) throw new DownloadHTTPError(`${url} answered ${res.status}`, res.status);
    return res.body;
  }

  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const res = await this.#client.get(url);
    if (res.statusCode !== 200) {
      res.resume();
      throw new DownloadHTTPError(`${url} answered ${res.statusCode ?? 0}`, res.statusCode ?? 0);
    }
    return Readable.toWeb(res) as ReadableStream<Uint8Array<ArrayBuffer>>;
  }
}

/** One refresh's verified view of the targets (TUF 1.0 §5.7: target info from the trusted, updated metadata). */
export interface TufTargets {
  /** Target `name`'s release facts, or undefined when TUF lists no such target. */
  target(name: string): Promise<ReleaseMeta | undefined>;
}

/**
 * Refreshes the trusted metadata once (TUF 1.0 §5.3-§5.6) and returns the view every tracked target is read from,
 * so a cycle that tracks several targets walks the client workflow once, not once per target.
 */
export async function refreshTuf(client: HubClient, tufDir: string): Promise<TufTargets> {
  const updater = new Updater({
    metadataDir: tufDir,
    metadataBaseUrl: `${client.base}/v1/device/tuf`,
    targetBaseUrl: `${client.base}/v1/device/targets`,
    fetcher: new HubFetcher(client),
  });
  try {
    await updater.refresh();
  } catch (err) {
    if (err instanceof EdgewardError) throw err;
    throw new EdgewardError("EW_ERR_AGENT_TARGET_MISMATCH", {
      detail: `TUF: ${err instanceof Error ? err.message : "refresh failed"}`,
      cause: err,
    });
  }
  return { target: (name) => targetMeta(updater, name) };
}

/** Refreshes the trusted metadata and returns target `name`'s facts, or undefined when TUF lists no such target. */
export async function refreshTarget(client: HubClient, tufDir: string, name: string): Promise<ReleaseMeta | undefined> {
  return (await refreshTuf(client, tufDir)).target(name);
}

async function targetMeta(updater: Updater, name: string): Promise<ReleaseMeta | undefined> {
  const info = await updater.getTargetInfo(name);
  if (info === undefined) return undefined;
  const custom = info.custom;
  const sha256 = info.hashes["sha256"];
  const str = (k: string) => (typeof custom[k] === "string" ? custom[k] : undefined);
  const releaseId = str("releaseId");
  const version = str("version");
  const targetName = str("name");
  const kind = str("kind");
  if (releaseId === undefined || version === undefined || targetName === undefined || sha256 === undefined)
    throw new EdgewardError("EW_ERR_AGENT_HUB_RESPONSE", { detail: `target ${name} lacks release facts` });
  // A guard shipped in the release is a second target that TUF verifies like the first.
  const guard = await guardOfTarget(custom, name, releaseId, (path) => updater.getTargetInfo(path));
  return {
    releaseId,
    name: targetName,
    version,
    floor: str("floor") ?? version,
    kind: kind === "package" ? "package" : "model",
    sealed: custom["sealed"] !== false,
    targetName: name,
    length: info.length,
    sha256,
    ...(guard === undefined ? {} : { guard }),
  };
}
