import { writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core/errors";
import { DurableLog, generateNoteKey, isValidKeyName } from "@edgeward/tlog";
import { FileSignedState } from "@edgeward/tlog/file-state";
import { loadSigner, withStore, withStoreOptions, type StoreOptions } from "./log-common.ts";

interface InitOptions extends StoreOptions {
  origin: string;
  key: string;
}

/** `edgeward log init`: create a log and, if needed, its Ed25519 signing key; print the verifier key. */
export function registerLogInit(log: Command): void {
  withStoreOptions(log.command("init"))
    .description("create a log; creates the Ed25519 signing key FILE if it does not exist; prints the verifier key")
    .requiredOption("--origin <name>", "the log's origin, e.g. example.com/edgeward/device-42 (also the key name)")
    .requiredOption("--key <file>", "the signing key file (created, mode 0600, when missing)")
    .action(async (opts: InitOptions) => {
      if (!isValidKeyName(opts.origin))
        throw new EdgewardError("EW_ERR_USAGE", { detail: "--origin must be non-empty, without spaces or '+'" });
      const signer = existsSync(opts.key) ? await loadSigner(opts.key) : undefined;
      if (signer !== undefined && signer.name !== opts.origin)
        throw new EdgewardError("EW_ERR_USAGE", {
          detail: `${opts.key} is the key of ${signer.name}, not of ${opts.origin}`,
        });
      const fresh = signer === undefined ? generateNoteKey(opts.origin) : undefined;
      const use = signer ?? fresh!.signer;
      await withStore(
        opts,
        async (store) => {
          await store.readMeta().then(
            () => {
              throw new EdgewardError("EW_ERR_LOG_EXISTS", { detail: store.location });
            },
            (err: unknown) => {
              if (!(err instanceof EdgewardError && err.code === "EW_ERR_LOG_NOT_FOUND")) throw err;
            },
          );
          // Write the new key first (never overwriting): a log must not exist whose key was lost.
          if (fresh !== undefined) await writeKey(opts.key, fresh.skey);
          // The signed state beside the key refuses a key that already signed a tree for another log.
          const created = await DurableLog.create(
            store,
            { origin: opts.origin, signer: use, keyPath: resolve(opts.key) },
            { signedState: FileSignedState.besideKey(opts.key) },
          );
          await created.flush();
        },
        "create",
      );
      process.stdout.write(`${use.vkey}\n`);
    });
}

async function writeKey(path: string, skey: string): Promise<void> {
  try {
    await writeFile(path, skey, { mode: 0o600, flag: "wx" });
  } catch (err) {
    throw new EdgewardError("EW_ERR_IO", { detail: `cannot create key file ${path}`, cause: err });
  }
}
