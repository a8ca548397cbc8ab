/**
 * Test releases that carry a guard (docs/releases.md "A guard in a release"), made as the publisher makes them: the
 * model signed (OMS); one file key wrapped in one header; the model and the guard bundle each sealed as an age
 * payload under that key. The payloads come from the STREAM written out below with node:crypto — a second
 * implementation beside core's, so the agent's opening is checked against bytes core did not produce (and the
 * `age` CLI opens them too: guard-target.test.ts).
 */
import { createCipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createHeader, parseRecipient, signModel, type SealedModelCheck } from "@edgeward/core";
import { packGuardBundle } from "@edgeward/guard";
import { writePrivateFile, type ReleaseMeta, type ReleaseStore } from "@edgeward/agent";
import type { Publisher } from "./releases.ts";

/** The guard package's shipped models and calibrated guard file (cnn.onnx primary, mlp.onnx second and fallback). */
export const GUARD_MODELS = fileURLToPath(new URL("../../guard/models/", import.meta.url));

/** Reads a file of {@link GUARD_MODELS}. */
export function shippedGuardFile(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${GUARD_MODELS}${name}`));
}

/** A release with its guard, ready to store. */
export interface GuardedRelease {
  readonly meta: ReleaseMeta;
  readonly header: Uint8Array;
  readonly payload: Uint8Array;
  readonly guardPayload: Uint8Array;
  readonly check: SealedModelCheck;
}

/**
 * Signs `model` as `name`, seals it and the guard bundle of `files` under one file key to `recipients`, and
 * describes it as release `id`; `configSha256` is what the TUF target would name (default: guard.yaml's digest);
 * `rawBundle` replaces the packed bundle with other bytes (sealed all the same).
 */
export async function makeGuardedRelease(
  model: Uint8Array,
  files: ReadonlyMap<string, Uint8Array>,
  recipients: readonly string[],
  publisher: Publisher,
  opts: { id: string; version: string; name?: string; configSha256?: string; rawBundle?: Uint8Array },
): Promise<GuardedRelease> {
  const name = opts.name ?? "fashion";
  const signed = await signModel({ data: model, name, privateKey: publisher.privateKeyPem });
  const bundle = JSON.parse(JSON.stringify(signed)) as unknown;
  const { fileKey, header } = await createHeader(recipients.map((r) => parseRecipient(r)));
  const payload = streamEncrypt(fileKey, model);
  const guardPayload = streamEncrypt(fileKey, opts.rawBundle ?? packGuardBundle(files));
  fileKey.fill(0);
  const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
  const targetName = `${name}/${opts.version}`;
  return {
    header,
    payload,
    guardPayload,
    check: { publicKey: publisher.publicKeyPem, bundle, name },
    meta: {
      releaseId: opts.id,
      name,
      version: opts.version,
      floor: opts.version,
      kind: "model",
      targetName,
      length: payload.length,
      sha256: sha(payload),
      omsBundle: bundle,
      guard: {
        configSha256: opts.configSha256 ?? sha(files.get("guard.yaml") ?? new Uint8Array()),
        targetName: `${targetName}.guard`,
        length: guardPayload.length,
        sha256: sha(guardPayload),
      },
    },
  };
}

/** Stores a release with its guard as the agent does after download and key release. */
export async function storeGuardedRelease(store: ReleaseStore, r: GuardedRelease): Promise<void> {
  await store.saveMeta(r.meta);
  await writePrivateFile(store.paths(r.meta.releaseId).payload, r.payload);
  await writePrivateFile(store.guardPayload(r.meta.releaseId), r.guardPayload);
  await store.saveHeader(r.meta.releaseId, r.header);
}

const CHUNK = 64 * 1024;

/**
 * An age v1 payload (c2sp.org/age "Payload"): a 16-byte nonce, then ChaCha20-Poly1305 over 64 KiB chunks under
 * HKDF-SHA-256(file key, salt = nonce, info = "payload"), each nonce an 11-byte big-endian counter and a last-chunk
 * flag byte.
 */
function streamEncrypt(fileKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const nonce = randomBytes(16);
  const key = Buffer.from(hkdfSync("sha256", fileKey, nonce, "payload", 32));
  const out: Uint8Array[] = [nonce];
  const chunks = Math.max(1, Math.ceil(plaintext.length / CHUNK));
  for (let i = 0; i < chunks; i++) {
    const iv = Buffer.alloc(12);
    iv.writeUIntBE(i, 5, 6);
    iv[11] = i === chunks - 1 ? 1 : 0;
    const cipher = createCipheriv("chacha20-poly1305", key, iv, { authTagLength: 16 });
    out.push(cipher.update(plaintext.subarray(i * CHUNK, (i + 1) * CHUNK)), cipher.final(), cipher.getAuthTag());
  }
  return Buffer.concat(out);
}
