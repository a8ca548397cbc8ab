import { open, readFile, type FileHandle } from "node:fs/promises";
import { EdgewardError } from "@edgeward/core/errors";
import { ioError } from "./errno.ts";

/** Reads a whole (small) file such as a key, a signature or an input tensor; any failure is typed (EW_ERR_IO…). */
export async function readSmallFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw ioError(err, `cannot read ${what} ${path}`);
  }
}

/** Reads a small UTF-8 text file (a key file, a recipients file); failures as {@link readSmallFile}. */
export async function readTextFile(path: string, what: string): Promise<string> {
  return (await readSmallFile(path, what)).toString("utf8");
}

/** Reads a small JSON file (untrusted); text that does not parse is `malformedCode`. */
export async function readJsonFile(
  path: string,
  what: string,
  malformedCode: "EW_ERR_OMS_BUNDLE_MALFORMED" | "EW_ERR_INPUT_FORMAT",
): Promise<unknown> {
  const text = await readTextFile(path, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new EdgewardError(malformedCode, { detail: `${what} ${path} is not JSON`, cause: err });
  }
}

/** Opens a file for reading; a missing or unreadable file (or a directory) is typed, naming the path. */
export async function openForRead(path: string, what: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (err) {
    throw ioError(err, `cannot open ${what} ${path}`);
  }
  // open(2) succeeds on a directory for reading; the first read fails. Say so now, before any work.
  const isDirectory = await fh.stat().then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isDirectory) {
    await fh.close();
    throw new EdgewardError("EW_ERR_IO_IS_DIRECTORY", { detail: `${what} ${path} is a directory` });
  }
  return fh;
}
