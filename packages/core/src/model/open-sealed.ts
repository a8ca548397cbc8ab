/**
 * Verify-then-return-plaintext: the one flow by which the CLI, the demo and the agent turn a sealed model into
 * bytes they may load (ARCHITECTURE.md, flow 4: "decrypts into memory, verifies the OMS signature, loads the
 * model"). I/O stays with the caller: it hands in an open file (or the sealed bytes) and the parsed key and bundle.
 */
import type { KeyObject } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { openToMemory, type OpenOptions } from "../age/open.ts";
import type { ProgressCallback } from "../age/stream/index.ts";
import type { AgeIdentity } from "../age/types.ts";
import { checkSignedModel, verifySignature, type ModelVerification } from "../oms/verify.ts";

/** The publisher's signature a sealed model must carry. */
export interface SealedModelCheck {
  /** The publisher's P-256 public key: a KeyObject or SPKI PEM. */
  readonly publicKey: KeyObject | string;
  /** The OMS bundle as parsed JSON, untrusted. */
  readonly bundle: unknown;
  /** When given, the signed model name must equal it (EW_ERR_SIG_NAME_MISMATCH). */
  readonly name?: string;
}

/** Options for {@link openSealedModel}. */
export interface OpenSealedModelOptions extends OpenOptions {
  /** Without it the model is opened (every chunk authenticated) but its signature is not checked. */
  readonly check?: SealedModelCheck;
  /** Called as chunks authenticate (file input only). */
  readonly onProgress?: ProgressCallback;
}

/** A sealed model opened into memory. */
export interface OpenedModel {
  /** The plaintext, in a regular ArrayBuffer (onnxruntime-node loads it without a copy). Zero it when done. */
  readonly plaintext: Uint8Array;
  /** The verified signature, or undefined when no check was asked for. */
  readonly verification: ModelVerification | undefined;
  /** Milliseconds from the first byte read to the verified plaintext. */
  readonly openMs: number;
}

/**
 * Opens a sealed model into memory and returns it only after every chunk authenticated and, with
 * `opts.check`, after its OMS signature verified. The signature is checked before any decryption (DSSE
 * protocol.md: the statement is read only after the signature verified), so a forged bundle is
 * EW_ERR_SIG_INVALID whether the model is sealed or not; the shard digests the signature needs are computed
 * while decrypting, so verifying costs no second pass over the model. On failure no plaintext is left.
 */
export async function openSealedModel(
  input: FileHandle | Uint8Array,
  identities: readonly AgeIdentity[],
  opts: OpenSealedModelOptions = {},
): Promise<OpenedModel> {
  const started = performance.now();
  const signature = opts.check === undefined ? undefined : verifySignature(opts.check);
  let verification: ModelVerification | undefined;
  const plaintext = await openToMemory(input, identities, {
    ...(opts.limits === undefined ? {} : { limits: opts.limits }),
    ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
    ...(signature?.shardSize === undefined ? {} : { shardSize: signature.shardSize }),
    ...(signature === undefined
      ? {}
      : {
          verify: async (data: Uint8Array, shardDigests?: Buffer[]) => {
            verification = await checkSignedModel(signature, {
              data,
              ...(shardDigests === undefined ? {} : { shardDigests }),
            });
          },
        }),
  });
  return { plaintext, verification, openMs: performance.now() - started };
}
