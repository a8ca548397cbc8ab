/**
 * Keeping the PostgreSQL password out of hub.json (docs/hub.md, "Database and replicas"): init stores the URL
 * without its password and the password alone in HUB/secrets/postgres-password (0600); opening the hub puts it
 * back, in memory only. A password may sit in the URL's userinfo (RFC 3986 §3.2.1) or, as libpq allows, in a
 * `password` query parameter (PostgreSQL docs §34.1.1.2); both are taken out.
 */
import { stat } from "node:fs/promises";
import { EdgewardError, redactSecrets } from "@edgeward/core";
import { readHubFile } from "./files.ts";

/** A PostgreSQL URL split into what hub.json may hold and the password it carried (if any). */
export interface SplitPostgresUrl {
  readonly url: string;
  readonly password?: string;
}

/** Takes the password out of `url`. EW_ERR_USAGE (with the URL's secrets hidden) when it is not a URL. */
export function splitPostgresPassword(url: string): SplitPostgresUrl {
  const parsed = parse(url);
  const inQuery = parsed.searchParams.get("password");
  const inUserinfo = parsed.password === "" ? undefined : decodeURIComponent(parsed.password);
  if (inUserinfo === undefined && inQuery === null) return { url };
  parsed.password = "";
  if (inQuery !== null) parsed.searchParams.delete("password");
  return { url: unparse(parsed), password: inUserinfo ?? inQuery ?? "" };
}

/** `url` with `password` in its userinfo (percent-encoded, as libpq and node-postgres decode it). */
export function withPostgresPassword(url: string, password: string): string {
  const parsed = parse(url);
  parsed.password = encodeURIComponent(password);
  return unparse(parsed);
}

/**
 * The password in `path`, without one trailing newline; undefined when there is no such file. A file other users
 * may read is refused (EW_ERR_HUB_DIR_INVALID): a password is a secret file like every other (mode 0600).
 */
export async function readPostgresPassword(path: string): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return undefined;
  if ((info.mode & 0o077) !== 0)
    throw new EdgewardError("EW_ERR_HUB_DIR_INVALID", { detail: `${path} must be readable by its owner only (0600)` });
  return (await readHubFile(path)).replace(/\r?\n$/, "");
}

// A Unix-socket URL has no host ("postgres://user:pw@/db?host=/run/postgresql"), which WHATWG URL refuses with
// userinfo; node-postgres parses it with a stand-in host, and so does this module.
const NO_HOST = "edgeward-no-host.invalid";

function parse(url: string): URL {
  try {
    return new URL(url.replace("@/", `@${NO_HOST}/`));
  } catch (err) {
    throw new EdgewardError("EW_ERR_USAGE", { detail: `not a PostgreSQL URL: ${redactSecrets(url)}`, cause: err });
  }
}

function unparse(url: URL): string {
  return url.toString().replace(`@${NO_HOST}/`, "@/");
}
