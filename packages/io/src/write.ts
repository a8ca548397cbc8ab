import { randomBytes } from "node:crypto";
import { link, lstat, open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { devNull, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { EdgewardError } from "@edgeward/core/errors";
import { errnoOf, ioError } from "./errno.ts";

/** How an output file is written; see {@link prepareOutput}. */
export interface OutputOptions {
  /** What the file is, for messages ("sealed file", "private key"). */
  readonly what: string;
  /** Mode of a new file: 0644 by default; 0600 for private keys and decrypted models. */
  readonly mode?: number;
  /**
   * Also fsync the file and its directory, so it survives a power cut once the command reported success. Keys
   * get it (small, and losing a new private key is costly); bulk outputs such as sealed and opened models do not,
   * like `age`, `cp` and `openssl`: an fsync of a 1 GiB model doubled `edgeward seal`'s time.
   */
  readonly durable?: boolean;
  /** Files this command reads: an output that is one of them is refused (EW_ERR_OUTPUT_IS_INPUT). */
  readonly inputs?: readonly string[];
  /** Refuse to replace an existing file or link (EW_ERR_OUTPUT_EXISTS), as `age-keygen` does: for private keys. */
  readonly noClobber?: boolean;
  /**
   * Replace a symbolic link whatever it points to. For names a command picks itself inside a directory it was
   * given (`tpm quote -o DIR`), where a planted link to `/dev/sda` must not be written through; a path the user
   * named is written through a link to a device or FIFO, as `-o /dev/stdout` means.
   */
  readonly replaceLinks?: boolean;
}

/** An output checked before any work; {@link OutputFile.write} then writes it. */
export interface OutputFile {
  readonly path: string;
  /**
   * `replace`: a new file (or one replacing a regular file or a symbolic link, never followed) written beside
   * the target and renamed over it only after success; `device`: an existing character or block device
   * (`/dev/null`) written through in place; `pipe`: an existing FIFO or socket, which cannot be written at
   * positions, so the output is made in an unlinked temporary file and copied into it after success.
   */
  readonly kind: "replace" | "device" | "pipe";
  /** Runs `produce` on a handle to write into; a failure leaves no new file behind. */
  write(produce: (out: FileHandle) => Promise<unknown>): Promise<void>;
}

/**
 * Checks an output path before the command does any work, and says how it will be written. Refused: a
 * directory (EW_ERR_IO_IS_DIRECTORY), one of the command's inputs (EW_ERR_OUTPUT_IS_INPUT), and with
 * `noClobber` an existing file or link (EW_ERR_OUTPUT_EXISTS). A device or a FIFO, or a link to one, is never
 * replaced by a file: it is written through (as `age -o /dev/null` does).
 */
export async function prepareOutput(path: string, opts: OutputOptions): Promise<OutputFile> {
  const link = await lstat(path).catch((err: unknown) => {
    if (errnoOf(err) === "ENOENT") return undefined;
    throw ioError(err, `cannot check ${opts.what} ${path}`);
  });
  const target = link?.isSymbolicLink() ? await stat(path).catch(() => undefined) : link;
  if (target?.isDirectory())
    throw new EdgewardError("EW_ERR_IO_IS_DIRECTORY", { detail: `${opts.what} ${path} is a directory` });
  for (const input of opts.inputs ?? []) {
    const s = await stat(input).catch(() => undefined);
    if (target !== undefined && s !== undefined && s.dev === target.dev && s.ino === target.ino)
      throw new EdgewardError("EW_ERR_OUTPUT_IS_INPUT", { detail: `${path} is ${input}` });
  }
  // A link is written through only to what cannot be replaced by a file anyway (`-o /dev/stdout` is a link to
  // /proc/self/fd/1): a link to a file, or a dangling one, is replaced, never followed.
  const through = link?.isSymbolicLink() === true && opts.replaceLinks !== true ? target : link;
  const special = through !== undefined && !through.isFile() && !through.isSymbolicLink();
  if (opts.noClobber === true && link !== undefined && !special)
    throw new EdgewardError("EW_ERR_OUTPUT_EXISTS", { detail: `${path} exists` });
  if (special && (through.isCharacterDevice() || through.isBlockDevice()))
    return { path, kind: "device", write: (produce) => writeThrough(path, opts, produce) };
  if (special) return { path, kind: "pipe", write: (produce) => writeStaged(path, opts, produce) };
  return { path, kind: "replace", write: (produce) => writeReplacing(path, opts, produce) };
}

/** {@link prepareOutput}, then write. */
export async function writeOutput(
  path: string,
  produce: (out: FileHandle) => Promise<unknown>,
  opts: OutputOptions,
): Promise<void> {
  await (await prepareOutput(path, opts)).write(produce);
}

/** Writes a small text file (a key, a signature) durably; see {@link writeOutput}. */
export async function writeTextOutput(path: string, text: string, opts: OutputOptions): Promise<void> {
  await writeOutput(path, async (out) => void (await out.writeFile(text)), { durable: true, ...opts });
}

/**
 * A temporary file beside `path`, renamed over it only after `produce` resolved (rename(2) replaces a link, never
 * its target). With `noClobber` it is linked instead (link(2) fails if the name exists), so a file created since
 * the check is not replaced either. On failure the temporary file is removed.
 */
async function writeReplacing(path: string, opts: OutputOptions, produce: (out: FileHandle) => Promise<unknown>) {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  // Readable too: `seal --sign` reads the sealed file back to sign exactly what it authenticates to.
  const out = await open(tmp, "wx+", opts.mode ?? 0o644).catch((err: unknown) => {
    throw ioError(err, `cannot create ${opts.what} ${path}`);
  });
  try {
    await produce(out);
    if (opts.durable === true) await out.sync();
    await out.close();
    if (opts.noClobber === true) {
      await link(tmp, path);
      await unlink(tmp);
    } else await rename(tmp, path);
    if (opts.durable === true) await syncDirectory(dirname(path));
  } catch (err) {
    await out.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if (errnoOf(err) === "EEXIST") throw new EdgewardError("EW_ERR_OUTPUT_EXISTS", { detail: `${path} exists` });
    throw ioError(err, `cannot write ${opts.what} ${path}`);
  }
}

/** A device takes positional writes in place; nothing can be taken back from it, so nothing is removed. */
async function writeThrough(path: string, opts: OutputOptions, produce: (out: FileHandle) => Promise<unknown>) {
  const out = await open(path, "w").catch((err: unknown) => {
    throw ioError(err, `cannot open ${opts.what} ${path}`);
  });
  try {
    await produce(out);
  } catch (err) {
    throw ioError(err, `cannot write ${opts.what} ${path}`);
  } finally {
    await out.close().catch(() => undefined);
  }
}

/**
 * A FIFO reads in order only: produce into an unlinked 0600 temporary file, then copy it into the FIFO after
 * success, so its reader gets only complete, authenticated output.
 */
async function writeStaged(path: string, opts: OutputOptions, produce: (out: FileHandle) => Promise<unknown>) {
  const tmp = join(tmpdir(), `.edgeward-${randomBytes(6).toString("hex")}.tmp`);
  const staged = await open(tmp, "wx+", 0o600).catch((err: unknown) => {
    throw ioError(err, `cannot create a temporary file for ${opts.what} ${path}`);
  });
  await unlink(tmp).catch(() => undefined);
  try {
    await produce(staged);
    const out = await open(path, "w");
    try {
      await pipeline(staged.createReadStream({ start: 0, autoClose: false }), out.createWriteStream());
    } finally {
      await out.close().catch(() => undefined);
    }
  } catch (err) {
    throw ioError(err, `cannot write ${opts.what} ${path}`);
  } finally {
    await staged.close().catch(() => undefined);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A handle on the null device, for core functions that decrypt only to hash (digestFilePayload). */
export async function openDiscard(): Promise<FileHandle> {
  return open(devNull, "w").catch((err: unknown) => {
    throw ioError(err, `cannot open ${devNull}`);
  });
}
