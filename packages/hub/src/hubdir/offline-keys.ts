/**
 * The offline TUF keys as files (ARCHITECTURE.md, flow 4): `hub init` writes `root-N.pem` and `targets-N.pem` into
 * HUB/offline/, and the operator moves them off the server. For a root rotation or a new top-level targets version
 * they come back in a directory of their own; which role each key signs for is read from the root, never from the
 * file name.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { EdgewardError } from "@edgeward/core";
import { exportTufSigner, generateTufSigner, importTufSigner, type TufSigner } from "../tuf/keys.ts";
import { existing, readHubFile, writeFileAtomic } from "./files.ts";

/** One key file of an offline key directory. */
export interface OfflineKey {
  readonly file: string;
  readonly signer: TufSigner;
}

/**
 * Every `*.pem` file in `dir` as a TUF signer. EW_ERR_IO when the directory cannot be read, EW_ERR_TUF_KEY (naming
 * the file) when a file is not an Ed25519 private key: a directory of keys that half loads is refused whole.
 */
export async function readOfflineKeys(dir: string): Promise<OfflineKey[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".pem")).sort();
  } catch (err) {
    throw new EdgewardError("EW_ERR_IO", { detail: `cannot read the offline key directory ${dir}`, cause: err });
  }
  const keys: OfflineKey[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      keys.push({ file, signer: importTufSigner(await readHubFile(file)) });
    } catch (err) {
      throw new EdgewardError("EW_ERR_TUF_KEY", { detail: file, cause: err });
    }
  }
  return keys;
}

/** The signers among `keys` whose key ids `keyIDs` lists. */
export function signersListed(keys: readonly OfflineKey[], keyIDs: readonly string[]): TufSigner[] {
  return keys.filter((k) => keyIDs.includes(k.signer.key.keyID)).map((k) => k.signer);
}

/**
 * Creates `count` new keys in `dir` as `PREFIX-N.pem` (0600, written atomically), numbered after the files that
 * exist, before any metadata names them: a key is on disk before it can matter.
 */
export async function createOfflineKeys(dir: string, prefix: string, count: number): Promise<OfflineKey[]> {
  const created: OfflineKey[] = [];
  let n = 1;
  while (created.length < count) {
    const file = join(dir, `${prefix}-${n}.pem`);
    n += 1;
    if (existing([file]).length > 0) continue;
    const signer = generateTufSigner();
    await writeFileAtomic(file, exportTufSigner(signer), 0o600);
    created.push({ file, signer });
  }
  return created;
}
