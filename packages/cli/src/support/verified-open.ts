import type { AgeIdentity, ModelVerification } from "@edgeward/core";
import { bundleShardSize, EdgewardError, loadPublicKey, openToMemory, verifyModel } from "@edgeward/core";
import { openForRead, readSmallFile } from "./files.ts";

/** Timings of an in-memory open, in milliseconds. */
export interface OpenTimings {
  readonly openMs: number;
}

/**
 * Opens a sealed model into memory and, when a publisher key is given, checks its OMS signature before
 * returning (issue 2: "openToMemory … returns the model bytes only after every chunk authenticated and the
 * signature verified"). The SHA-256 of each signed shard is computed while decrypting, so verification
 * costs no second pass over the model.
 */
export async function openVerified(
  sealed: string,
  identities: readonly AgeIdentity[],
  check?: { publicKeyPath: string; sigPath: string },
): Promise<{ plaintext: Uint8Array; timings: OpenTimings; verification: ModelVerification | undefined }> {
  const verify = check === undefined ? undefined : await loadCheck(check.publicKeyPath, check.sigPath);
  const input = await openForRead(sealed, "sealed file");
  const started = performance.now();
  let verification: ModelVerification | undefined;
  try {
    const shardSize = verify === undefined ? undefined : bundleShardSize(verify.bundle);
    const plaintext = await openToMemory(input, identities, {
      ...(shardSize === undefined ? {} : { shardSize }),
      ...(verify === undefined
        ? {}
        : {
            verify: async (data: Uint8Array, shardDigests?: Buffer[]) => {
              verification = await verifyModel({
                bundle: verify.bundle,
                publicKey: verify.publicKey,
                data,
                ...(shardDigests === undefined ? {} : { shardDigests }),
              });
            },
          }),
    });
    return { plaintext, timings: { openMs: performance.now() - started }, verification };
  } finally {
    await input.close();
  }
}

/** Loads a publisher key and an OMS bundle; the bundle is untrusted JSON. */
export async function loadCheck(
  publicKeyPath: string,
  sigPath: string,
): Promise<{ publicKey: ReturnType<typeof loadPublicKey>; bundle: unknown }> {
  const publicKey = loadPublicKey((await readSmallFile(publicKeyPath, "public key")).toString("utf8"));
  const text = (await readSmallFile(sigPath, "signature")).toString("utf8");
  try {
    return { publicKey, bundle: JSON.parse(text) as unknown };
  } catch (err) {
    throw new EdgewardError("EW_ERR_OMS_BUNDLE_MALFORMED", { detail: `${sigPath} is not JSON`, cause: err });
  }
}
