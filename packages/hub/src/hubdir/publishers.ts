/**
 * The publisher keys a hub trusts (docs/releases.md, "Publisher keys"): OMS P-256 public keys, one SPKI PEM file
 * each under HUB/publishers/, named by the key's OMS hint. Read for every new release and for GET /v1/hub, so a key
 * added to the directory takes effect without a restart; public, so the files are 0644.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { EdgewardError, loadPublicKey, publicKeyHint } from "@edgeward/core";
import { openHubDatabase } from "./database.ts";
import { existing, readHubFile, writeFileAtomic } from "./files.ts";
import { hubPaths, readHubConfig } from "./layout.ts";

/** A trusted publisher key. */
export interface PublisherKey {
  /** The OMS key hint: lowercase hex SHA-256 of the SPKI PEM. */
  readonly id: string;
  readonly file: string;
  readonly publicKeyPem: string;
}

/** Every trusted publisher key in `dir` (none when the directory does not exist). EW_ERR_HUB_DIR_INVALID for a bad file. */
export async function readPublisherKeys(dir: string): Promise<PublisherKey[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const keys: PublisherKey[] = [];
  for (const name of names.filter((n) => n.endsWith(".pem")).sort()) {
    const file = join(dir, name);
    const text = await readHubFile(file);
    try {
      keys.push(describe(file, text));
    } catch (err) {
      throw new EdgewardError("EW_ERR_HUB_DIR_INVALID", { detail: `${file} is not a P-256 public key`, cause: err });
    }
  }
  return keys;
}

/**
 * Trusts `pem` (an OMS P-256 public key, SPKI PEM; EW_ERR_SIG_KEY_INVALID otherwise): writes it to `dir` as
 * `HINT.pem`. Returns the key and whether it was new.
 */
export async function addPublisherKey(dir: string, pem: string): Promise<PublisherKey & { readonly added: boolean }> {
  const key = describe("", pem);
  const file = join(dir, `${key.id}.pem`);
  if (existing([file]).length > 0) return { ...key, file, added: false };
  await writeFileAtomic(file, key.publicKeyPem, 0o644);
  return { ...key, file, added: true };
}

function describe(file: string, pem: string): PublisherKey {
  const key = loadPublicKey(pem);
  const publicKeyPem = key.export({ type: "spki", format: "pem" }).toString();
  return { id: publicKeyHint(key), file, publicKeyPem };
}

/**
 * `edgeward hub publishers add`: trusts `pem` in the hub directory `dir` and, when the key is new, appends a
 * `publisher.add` entry to the hub's audit log (a change of whom the hub trusts is a security decision).
 */
export async function trustPublisher(options: {
  readonly dir: string;
  readonly postgres?: string | undefined;
  readonly pem: string;
  readonly now: Date;
}): Promise<PublisherKey & { readonly added: boolean }> {
  const paths = hubPaths(options.dir);
  const db = await openHubDatabase(paths, await readHubConfig(paths), options.postgres);
  try {
    const key = await addPublisherKey(paths.publishers, options.pem);
    if (key.added)
      await db.audit.append({
        time: options.now.toISOString(),
        actor: "cli",
        kind: "publisher.add",
        subject: `publisher:${key.id}`,
        details: {},
      });
    return key;
  } finally {
    await db.close();
  }
}
