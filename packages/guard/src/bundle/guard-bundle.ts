import { EdgewardError } from "@edgeward/core";
import { GUARD_FILE_MAX_BYTES } from "../config/guard-file.ts";

/**
 * The guard bundle: the guard file and the models it names, as one byte string that a release seals as its second
 * age payload (docs/guard.md "The guard in a release"). A length-prefixed binary, so unpacking never parses text and
 * every length is checked against the bytes left before anything is copied:
 *
 * ```
 * bundle = magic "EWGB" | version u8 (1) | count u16 | entry{count}
 * entry  = nameLength u8 | name (ASCII) | size u32 | bytes{size}
 * ```
 *
 * Integers are big-endian. Names are sorted (byte order) and unique; nothing may follow the last entry.
 */
export const GUARD_BUNDLE_MAGIC = "EWGB";

/** The bundle format version this code writes and reads. */
export const GUARD_BUNDLE_VERSION = 1;

/** The name the guard file itself has inside a bundle. */
export const GUARD_BUNDLE_FILE = "guard.yaml";

/** Limits applied to untrusted bundles (and to what {@link packGuardBundle} agrees to write). */
export const GUARD_BUNDLE_LIMITS = {
  /** Files in one bundle: the guard file plus at most a primary, a second and a fallback model, with room to spare. */
  maxFiles: 16,
  /** Bytes in one name. */
  maxNameBytes: 100,
  /** Bytes in one model file (the shipped guard models are under 1 MiB). */
  maxFileBytes: 256 * 1024 * 1024,
  /** Bytes in the whole bundle. */
  maxBundleBytes: 512 * 1024 * 1024,
} as const;

const HEADER_BYTES = GUARD_BUNDLE_MAGIC.length + 1 + 2;
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Packs `files` (name → exact bytes) into a guard bundle. `files` must hold {@link GUARD_BUNDLE_FILE}; every name is
 * a plain file name (letters, digits, `.`, `_`, `-`; no `/`, no `..`). Entries are written sorted by name, so the
 * same files always give the same bytes. Fails with EW_ERR_GUARD_BUNDLE on a name or size over the limits.
 */
export function packGuardBundle(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const names = [...files.keys()].sort(compareNames);
  checkCount(names.length);
  if (!files.has(GUARD_BUNDLE_FILE)) fail(`no ${GUARD_BUNDLE_FILE}`);
  const encoded = names.map((name) => encodeName(name));
  let total = HEADER_BYTES;
  names.forEach((name, i) => {
    const bytes = files.get(name) as Uint8Array;
    checkSize(name, bytes.length);
    total += 1 + (encoded[i] as Uint8Array).length + 4 + bytes.length;
  });
  if (total > GUARD_BUNDLE_LIMITS.maxBundleBytes) fail(`${total} bytes, over ${GUARD_BUNDLE_LIMITS.maxBundleBytes}`);

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(GUARD_BUNDLE_MAGIC), 0);
  view.setUint8(4, GUARD_BUNDLE_VERSION);
  view.setUint16(5, names.length);
  let at = HEADER_BYTES;
  names.forEach((name, i) => {
    const nameBytes = encoded[i] as Uint8Array;
    const bytes = files.get(name) as Uint8Array;
    view.setUint8(at, nameBytes.length);
    out.set(nameBytes, at + 1);
    at += 1 + nameBytes.length;
    view.setUint32(at, bytes.length);
    out.set(bytes, at + 4);
    at += 4 + bytes.length;
  });
  return out;
}

/**
 * Unpacks a guard bundle into name → bytes (fresh copies: the caller may zero `bytes` afterwards). The bytes are
 * untrusted until the guard file's digest is checked, so every field is bounded: magic and version, file count,
 * names (pattern, length, sorted and unique), sizes against the limits and the bytes left, the guard file present
 * and nothing trailing. Any failure is EW_ERR_GUARD_BUNDLE.
 */
export function unpackGuardBundle(bytes: Uint8Array): Map<string, Uint8Array> {
  if (bytes.length > GUARD_BUNDLE_LIMITS.maxBundleBytes) fail(`over ${GUARD_BUNDLE_LIMITS.maxBundleBytes} bytes`);
  if (bytes.length < HEADER_BYTES) fail("truncated header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== GUARD_BUNDLE_MAGIC) fail("not a guard bundle (magic)");
  const version = view.getUint8(4);
  if (version !== GUARD_BUNDLE_VERSION) fail(`version ${version}, this reader knows ${GUARD_BUNDLE_VERSION}`);
  const count = view.getUint16(5);
  checkCount(count);

  const files = new Map<string, Uint8Array>();
  let previous: string | undefined;
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + 1 > bytes.length) fail(`entry ${i}: truncated name length`);
    const nameLength = view.getUint8(at);
    if (at + 1 + nameLength + 4 > bytes.length) fail(`entry ${i}: truncated name or size`);
    const name = decodeName(bytes.subarray(at + 1, at + 1 + nameLength));
    if (previous !== undefined && compareNames(previous, name) >= 0) fail(`entry ${i}: names not sorted or repeated`);
    at += 1 + nameLength;
    const size = view.getUint32(at);
    checkSize(name, size);
    if (at + 4 + size > bytes.length) fail(`${name}: ${size} bytes declared, ${bytes.length - at - 4} left`);
    files.set(name, bytes.slice(at + 4, at + 4 + size));
    at += 4 + size;
    previous = name;
  }
  if (at !== bytes.length) fail(`${bytes.length - at} trailing bytes`);
  if (!files.has(GUARD_BUNDLE_FILE)) fail(`no ${GUARD_BUNDLE_FILE}`);
  return files;
}

/** Whether `name` may be a file name in a bundle: the rule the guard file's model paths must meet to ship in one. */
export function isGuardBundleName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= GUARD_BUNDLE_LIMITS.maxNameBytes &&
    NAME_PATTERN.test(name) &&
    !name.includes("..")
  );
}

function encodeName(name: string): Uint8Array {
  if (!isGuardBundleName(name)) fail(`bad name ${JSON.stringify(name.slice(0, 120))}`);
  return new TextEncoder().encode(name);
}

function decodeName(raw: Uint8Array): string {
  // ASCII only: any byte over 0x7f, or a name the pattern refuses (`/`, `..`, empty), is refused.
  const name = String.fromCharCode(...raw);
  if (!isGuardBundleName(name)) fail(`bad name ${JSON.stringify(name)}`);
  return name;
}

function checkCount(count: number): void {
  if (count < 1 || count > GUARD_BUNDLE_LIMITS.maxFiles) fail(`${count} files, 1..${GUARD_BUNDLE_LIMITS.maxFiles}`);
}

function checkSize(name: string, size: number): void {
  const max = name === GUARD_BUNDLE_FILE ? GUARD_FILE_MAX_BYTES : GUARD_BUNDLE_LIMITS.maxFileBytes;
  if (size > max) fail(`${name}: ${size} bytes, over ${max}`);
}

/** Byte order of ASCII names (the order entries are written in). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fail(detail: string): never {
  throw new EdgewardError("EW_ERR_GUARD_BUNDLE", { detail });
}
