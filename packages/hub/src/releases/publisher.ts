/**
 * The publisher's side of a release (ARCHITECTURE.md, flow 1), run on the publisher's machine by `edgeward model
 * publish`: seal the model once under a fresh file key wrapped to the hub's escrow recipient (GET /v1/hub), sign
 * the plaintext (OMS), then send the manifest (header, bundle, ciphertext length and SHA-256) and stream the
 * ciphertext. Plaintext never leaves this machine: only the sealed payload, its header and the signature go out.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeyObject } from "node:crypto";
import { Readable } from "node:stream";
import {
  EdgewardError,
  isErrorCode,
  parseRecipient,
  sealFile,
  sealFileWithSecondPayload,
  serializeBundle,
  signModel,
  type AgeRecipient,
} from "@edgeward/core";
import { HubClient } from "../client/hub-client.ts";
import type { ReleaseKind } from "./manifest.ts";

/** What to publish, and where. */
export interface PublishOptions {
  /** https://host:port of the hub, its CA (PEM) when not a public one, and a publisher token. */
  readonly hub: string;
  readonly ca?: string | undefined;
  readonly token: string;
  /** The plaintext model (or package) file. */
  readonly model: string;
  readonly name: string;
  readonly version: string;
  readonly kind: ReleaseKind;
  readonly groups: readonly string[];
  readonly floor?: string | undefined;
  /** The publisher's OMS signing key (ECDSA P-256). */
  readonly signingKey: KeyObject;
  /** Seal (default); only a package may be published unsealed. */
  readonly sealed?: boolean;
  /** Called as the upload goes, with bytes sent and the total. */
  readonly onProgress?: (sent: number, total: number) => void;
  /**
   * A guard to ship in the release (a model release only; docs/releases.md, "A guard in a release"): the guard
   * bundle (plaintext, sealed here under the model's file key) and the SHA-256 of its guard file.
   */
  readonly guard?: { readonly bundle: Uint8Array; readonly configSha256: string };
}

/** Seals, signs, and uploads a release; returns the hub's view of the published release. */
export async function publishRelease(options: PublishOptions): Promise<Record<string, unknown>> {
  const sealed = options.sealed ?? true;
  if (!sealed && options.kind !== "package") {
    throw new EdgewardError("EW_ERR_USAGE", { detail: "only a package may be published unsealed" });
  }
  if (options.guard !== undefined && options.kind !== "model") {
    throw new EdgewardError("EW_ERR_USAGE", { detail: "only a model release carries a guard" });
  }
  const client = new HubClient({ url: options.hub, token: options.token, ca: options.ca });
  const facts = await client.get<{ escrowRecipient?: unknown }>("/v1/hub");
  if (typeof facts.escrowRecipient !== "string") {
    throw new EdgewardError("EW_ERR_HUB_RESPONSE_INVALID", { detail: "no escrowRecipient in /v1/hub" });
  }
  const escrow = parseRecipient(facts.escrowRecipient);
  const work = await mkdtemp(join(tmpdir(), "edgeward-publish-"));
  try {
    const sealedPath = join(work, "payload.age");
    let headerSize = 0;
    let guardPayload: Uint8Array | undefined;
    if (sealed) {
      ({ headerSize, guardPayload } = await seal(options.model, sealedPath, escrow, options.guard?.bundle));
    }
    const file = sealed ? sealedPath : options.model;
    const header = sealed ? await readRange(file, 0, headerSize) : undefined;
    const { sha256, length } = await digest(file, headerSize);
    const bundle = await signModel({ path: options.model, name: options.name, privateKey: options.signingKey });
    const release = await client.post<{ uploadPath?: unknown }>("/v1/releases", {
      name: options.name,
      version: options.version,
      kind: options.kind,
      groups: [...options.groups],
      ...(options.floor === undefined ? {} : { floor: options.floor }),
      length,
      sha256,
      ...(header === undefined ? {} : { header: Buffer.from(header).toString("base64") }),
      bundle: Buffer.from(serializeBundle(bundle)).toString("base64"),
      ...(guardPayload === undefined || options.guard === undefined
        ? {}
        : {
            guard: {
              configSha256: options.guard.configSha256,
              length: guardPayload.length,
              sha256: createHash("sha256").update(guardPayload).digest("hex"),
            },
          }),
    });
    if (typeof release.uploadPath !== "string") {
      throw new EdgewardError("EW_ERR_HUB_RESPONSE_INVALID", { detail: "no uploadPath" });
    }
    if (guardPayload !== undefined) {
      // The guard payload first: the hub publishes the release once the ciphertext follows it (both in).
      const guardUpload = (release as { guard?: { uploadPath?: unknown } }).guard?.uploadPath;
      if (typeof guardUpload !== "string") {
        throw new EdgewardError("EW_ERR_HUB_RESPONSE_INVALID", { detail: "no guard.uploadPath" });
      }
      const bytes = guardPayload;
      await upload(options, new URL(guardUpload, options.hub), () => Readable.from([bytes]), bytes.length, false);
    }
    const source = () => createReadStream(file, { start: headerSize, highWaterMark: 1 << 20 });
    return await upload(options, new URL(release.uploadPath, options.hub), source, length, true);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Seals the model to the escrow recipient; with a guard bundle, seals it too as a second payload (same file key). */
async function seal(
  model: string,
  sealedPath: string,
  escrow: AgeRecipient,
  guardBundle: Uint8Array | undefined,
): Promise<{ headerSize: number; guardPayload: Uint8Array | undefined }> {
  const input = await open(model, "r");
  const output = await open(sealedPath, "wx", 0o600);
  try {
    if (guardBundle === undefined) {
      return { headerSize: (await sealFile(input, output, [escrow])).headerSize, guardPayload: undefined };
    }
    const sealed = await sealFileWithSecondPayload(input, output, [escrow], guardBundle);
    return { headerSize: sealed.headerSize, guardPayload: sealed.secondPayload };
  } finally {
    await Promise.all([input.close(), output.close()]);
  }
}

async function readRange(path: string, start: number, length: number): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function digest(path: string, start: number): Promise<{ sha256: string; length: number }> {
  const hash = createHash("sha256");
  let length = 0;
  for await (const chunk of createReadStream(path, { start, highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), length };
}

// Each payload goes as one streamed PUT (application/octet-stream): the hub checks length and SHA-256 as it reads.
function upload(
  options: PublishOptions,
  url: URL,
  openBody: () => Readable,
  length: number,
  progress: boolean,
): Promise<Record<string, unknown>> {
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    const req = request(
      url,
      {
        method: "PUT",
        agent: false,
        headers: {
          authorization: `Bearer ${options.token}`,
          "content-type": "application/octet-stream",
          "content-length": String(length),
          accept: "application/json",
        },
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          try {
            resolve(decodeAnswer(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8")));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on("error", (err) => reject(new EdgewardError("EW_ERR_HUB_UNREACHABLE", { detail: url.origin, cause: err })));
    let sent = 0;
    const source = openBody();
    source.on("data", (chunk: Buffer) => {
      sent += chunk.length;
      if (progress) options.onProgress?.(sent, length);
    });
    source.on("error", (err) => req.destroy(err));
    source.pipe(req);
  });
}

function decodeAnswer(status: number, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new EdgewardError("EW_ERR_HUB_RESPONSE_INVALID", { detail: `HTTP ${status}, not JSON`, cause: err });
  }
  const body = (value ?? {}) as Record<string, unknown>;
  if (status >= 200 && status < 300) return body;
  const code = body["code"];
  if (typeof code === "string" && isErrorCode(code)) throw new EdgewardError(code, { detail: `HTTP ${status}` });
  throw new EdgewardError("EW_ERR_HUB_RESPONSE_INVALID", { detail: `HTTP ${status} without an error code` });
}
