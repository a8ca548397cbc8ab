import type { KeyObject } from "node:crypto";
import { unlink } from "node:fs/promises";
import {
  DEFAULT_SHARD_SIZE,
  EdgewardError,
  sealFile,
  serializeBundle,
  signShardDigests,
  type AgeRecipient,
  type OmsBundle,
} from "@edgeward/core";
import { openForRead } from "./read.ts";
import { openDiscard, prepareOutput } from "./write.ts";

/** What {@link sealModelFile} does besides encrypting. */
export interface SealModelFileOptions {
  readonly recipients: readonly AgeRecipient[];
  /** Also sign the model (OMS) and write the bundle to `OUTPUT.sig`. */
  readonly sign?: { readonly privateKey: KeyObject | string; readonly name: string };
  /** Called as plaintext is encrypted, with bytes done and the model's size. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Other files the caller read (a recipients file, the signing key): refused as outputs, as the model is. */
  readonly inputs?: readonly string[];
}

/** What {@link sealModelFile} wrote. */
export interface SealedModelFile {
  readonly output: string;
  /** `OUTPUT.sig`, when signed. */
  readonly signature: string | undefined;
  readonly bundle: OmsBundle | undefined;
  /** The model's size in bytes. */
  readonly size: number;
}

/**
 * Seals the model file at `model` to `output` (an age file) and, with `sign`, writes its OMS signature to
 * `OUTPUT.sig`: the publisher's flow, shared by `edgeward seal` and the demo. Both outputs are checked before any
 * work (see prepareOutput). The model is read once: the signature is over the plaintext read back from the sealed
 * file, so it covers exactly the bytes sealed whatever happens to the model meanwhile. The signature is written
 * before the sealed file is renamed into place and removed if that fails, so a failure leaves neither a new
 * sealed file nor a signature that does not match the one beside it. A signed seal needs a file (or FIFO) output:
 * a device is EW_ERR_USAGE.
 */
export async function sealModelFile(
  model: string,
  output: string,
  opts: SealModelFileOptions,
): Promise<SealedModelFile> {
  const inputs = [model, ...(opts.inputs ?? [])];
  const out = await prepareOutput(output, { what: "sealed file", inputs });
  const sigOut =
    opts.sign === undefined
      ? undefined
      : await prepareOutput(`${output}.sig`, { what: "signature", inputs, durable: true });
  if (sigOut !== undefined && out.kind === "device")
    throw new EdgewardError("EW_ERR_USAGE", { detail: "a signed model must be sealed to a file, not a device" });
  const input = await openForRead(model, "model");
  let bundle: OmsBundle | undefined;
  let sigWritten = false;
  try {
    const size = (await input.stat()).size;
    const onProgress = opts.onProgress;
    await out.write(async (fh) => {
      if (opts.sign === undefined || sigOut === undefined) {
        await sealFile(input, fh, opts.recipients, onProgress === undefined ? {} : { onProgress });
        return;
      }
      const discard = await openDiscard();
      try {
        const shardSize = DEFAULT_SHARD_SIZE;
        const sealed = await sealFile(input, fh, opts.recipients, {
          ...(onProgress === undefined ? {} : { onProgress }),
          digest: { shardSize, discard },
        });
        bundle = signShardDigests({
          ...opts.sign,
          shardSize,
          size: sealed.plaintextSize,
          shardDigests: sealed.shardDigests ?? [],
        });
        const text = serializeBundle(bundle);
        await sigOut.write(async (sig) => void (await sig.writeFile(text)));
        sigWritten = true;
      } finally {
        await discard.close();
      }
    });
    return { output, signature: sigOut?.path, bundle, size };
  } catch (err) {
    if (sigWritten && sigOut !== undefined) await unlink(sigOut.path).catch(() => undefined);
    throw err;
  } finally {
    await input.close();
  }
}
