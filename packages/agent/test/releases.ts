/** Test releases for the agent's ReleaseStore, from testkit's sealedRelease. */
import type { generateSigningKey, SealedModelCheck } from "@edgeward/core";
import { sealedRelease } from "@edgeward/testkit";
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
  const r = await sealedRelease(model, recipient, name, publisher.privateKeyPem);
  const bundle = JSON.parse(JSON.stringify(r.bundle)) as unknown;
  return {
    header: r.header,
    payload: r.payload,
    check: { publicKey: publisher.publicKeyPem, bundle, name },
    meta: {
      releaseId: opts.id,
      name,
      version: opts.version,
      floor: opts.floor ?? opts.version,
      kind: "model",
      targetName: `${name}/${opts.version}`,
      length: r.payload.length,
      sha256: r.sha256,
      omsBundle: bundle,
    },
  };
}

/** Stores a release as the agent does after download and key release. */
export async function storeRelease(store: ReleaseStore, r: TestRelease): Promise<void> {
  await store.saveMeta(r.meta);
  await writePrivateFile(store.paths(r.meta.releaseId).payload, r.payload);
  await store.saveHeader(r.meta.releaseId, r.header);
}
