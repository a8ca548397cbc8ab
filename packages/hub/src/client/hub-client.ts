import { request } from "node:https";
import { EdgewardError, isErrorCode } from "@edgeward/core";

/** Largest answer the client reads (lists of devices can be long, but not unbounded). */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** How to reach a hub. */
export interface HubClientOptions {
  /** https://host:port of the hub. */
  readonly url: string;
  /** An operator bearer token. */
  readonly token?: string | undefined;
  /** PEM of the CA to trust for the hub's certificate (the hub's ca.pem); the system CAs otherwise. */
  readonly ca?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

/**
 * The operator API's client (what `edgeward hub …` commands use): JSON over HTTPS with a bearer token. A hub error
 * answer `{code, message}` comes back as that EdgewardError, so the CLI prints the hub's own code; a network failure
 * is EW_ERR_HUB_UNREACHABLE, an answer that is not the API's is EW_ERR_HUB_RESPONSE_INVALID.
 */
export class HubClient {
  readonly #base: URL;
  readonly #options: HubClientOptions;

  constructor(options: HubClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch (err) {
      throw new EdgewardError("EW_ERR_USAGE", { detail: `not a URL: ${options.url}`, cause: err });
    }
    if (base.protocol !== "https:") throw new EdgewardError("EW_ERR_USAGE", { detail: "the hub URL must be https://" });
    this.#base = base;
    this.#options = options;
  }

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const url = new URL(path, this.#base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return this.#send<T>("GET", url, undefined);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.#send<T>("POST", new URL(path, this.#base), body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.#send<T>("PUT", new URL(path, this.#base), body);
  }

  delete<T>(path: string): Promise<T> {
    return this.#send<T>("DELETE", new URL(path, this.#base), undefined);
  }

  #send<T>(method: string, url: URL, body: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#options.token !== undefined) headers["authorization"] = `Bearer ${this.#options.token}`;
    if (payload !== undefined) headers["content-type"] = "application/json";
    return new Promise<T>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          headers,
          agent: false,
          timeout: this.#options.timeoutMs ?? 30_000,
          ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE_BYTES)
              req.destroy(new EdgewardError("EW_ERR_HUB_RESPONSE_INVALID", { detail: "too large" }));
            else chunks.push(c);
          });
          res.on("end", () => {
            try {
              resolve(answer<T>(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8")));
            } catch (err) {
              reject(err instanceof Error ? err : new Error(String(err)));
            }
          });
          res.on("error", (err) => reject(unreachable(url, err)));
        },
      );
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", (err) => reject(err instanceof EdgewardError ? err : unreachable(url, err)));
      req.end(payload);
    });
  }
}

function answer<T>(status: number, text: string): T {
  let value: unknown;
  try {
    value = text === "" ? undefined : JSON.parse(text);
  } catch (err) {
    throw new EdgewardError("EW_ERR_HUB_RESPONSE_INVALID", { detail: `HTTP ${status}, not JSON`, cause: err });
  }
  if (status >= 200 && status < 300) return value as T;
  const e = value as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === "string" && isErrorCode(e.code))
    throw new EdgewardError(e.code, { detail: `the hub answered HTTP ${status}` });
  throw new EdgewardError("EW_ERR_HUB_RESPONSE_INVALID", { detail: `HTTP ${status} without an error code` });
}

function unreachable(url: URL, err: unknown): EdgewardError {
  return new EdgewardError("EW_ERR_HUB_UNREACHABLE", {
    detail: `${url.origin}: ${String((err as Error).message)}`,
    cause: err,
  });
}
