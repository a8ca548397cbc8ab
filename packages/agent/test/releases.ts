/**
 * Test releases made the way a publisher and the hub make them: a model signed (OMS) and sealed (age) to a device's
 * recipient, split into the shared payload (the TUF target) and the per-device header.
 */
import { createHash } from "node:crypto";
import type { generateSigningKey } from "@edgeward/core";
import { parseRecipient, sealStream, signModel, type SealedModelCheck } from "@edgeward/core";
import { writePrivateFile, type ReleaseMeta, type ReleaseStore } from "@edgeward/agent";

/** A publisher's key pair. */
export type Publisher = ReturnType<typeof generateSigningKey>;

/** A release ready to store: header, payload, facts, and the signature check. */
export interface TestRelease {
  readonly meta: ReleaseMeta;
  readonly header: Uint8Array;
  readonly payload: Uint8Array;
  readonly check: SealedModelCheck;
}

/** Signs `model` as `name`, seals it to `recipient`, and describes it as release `id` at `version`. */
export async function makeRelease(
  model: Uint8Array,
  recipient: string,
  publisher: Publisher,
  opts: { id: string; name?: string; version: string; floor?: string },
): Promise<TestRelease> {
  const name = opts.name ?? "matmul";
  const bundle = await signModel({ data: model, name, privateKey: publisher.privateKeyPem });
  const chunks: Uint8Array[] = [];
  for await (const c of sealStream([model], [parseRecipient(recipient)])) chunks.push(c);
  const [header, ...rest] = chunks;
  if (header === undefined) throw new Error("sealStream yielded nothing");
  const payload = Buffer.concat(rest);
  return {
    header,
    payload,
    check: { publicKey: publisher.publicKeyPem, bundle: JSON.parse(JSON.stringify(bundle)) as unknown, name },
    meta: {
      releaseId: opts.id,
      name,
      version: opts.version,
      floor: opts.floor ?? opts.version,
      kind: "model",
      targetName: `${name}/${opts.version}`,
      length: payload.length,
      sha256: createHash("sha256").update(payload).digest("hex"),
    },
  };
}

/** Stores a release as the agent does after download and key release. */
export async function storeRelease(store: ReleaseStore, r: TestRelease): Promise<void> {
  await store.saveMeta(r.meta);
  await writePrivateFile(store.paths(r.meta.releaseId).payload, r.payload);
  await store.saveHeader(r.meta.releaseId, r.header);
}
