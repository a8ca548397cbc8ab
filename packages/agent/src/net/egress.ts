/**
 * The agent's only way out (ARCHITECTURE.md promise 3): an HTTPS client on node:https that connects to the hosts in
 * its allow-list and nowhere else, trusts only the hub's CA, presents the device's mTLS identity, follows no
 * redirects, and reports every refusal so the agent can log it. tuf-js gets its bytes through
 * {@link EgressClient.stream} with `Readable.toWeb` (ARCHITECTURE.md machine notes: no undici Agent across majors).
 * Connections are kept alive (RFC 9112 §9.3): a cycle's requests, its TUF refresh and a download share one mTLS
 * handshake instead of paying one each.
 */
import { Agent, request, type RequestOptions } from "node:https";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { createSecureContext, type SecureContext } from "node:tls";
import { X509Certificate, type KeyObject } from "node:crypto";
import { EdgewardError } from "@edgeward/core";

/** Options for {@link EgressClient}. */
export interface EgressOptions {
  /** Allowed `host` or `host:port` entries (port 443 when absent), e.g. the hub's. */
  readonly allow: readonly string[];
  /** PEM of the CA(s) the server's certificate must chain to (the hub's CA); the system store is not used. */
  readonly ca: string;
  /** The device certificate (PEM) and its private key, for mTLS; absent before enrolment completes. */
  readonly identity?: { readonly certificate: string; readonly key: KeyObject };
  /** Called for every refused destination. */
  readonly onRefusal?: (url: string, reason: string) => void;
  readonly timeoutMs?: number;
}

/** An HTTP answer with its body read into memory. */
export interface EgressResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Request options. */
export interface EgressRequest {
  readonly method?: "GET" | "POST";
  readonly json?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Largest body accepted (default 16 MiB); a larger one is EW_ERR_INPUT_TOO_LARGE. */
  readonly maxBytes?: number;
  /** Idle time after which the request fails (default the client's timeoutMs); a long poll sets its own. */
  readonly timeoutMs?: number;
}

/** The allow-listed HTTPS client. */
export class EgressClient {
  readonly #allow: ReadonlySet<string>;
  readonly #context: SecureContext;
  readonly #onRefusal: ((url: string, reason: string) => void) | undefined;
  readonly #timeoutMs: number;
  /** Keeps connections to the hub open between requests; idle ones do not hold the process open (unref'd). */
  readonly #agent = new Agent({ keepAlive: true });

  constructor(options: EgressOptions) {
    this.#allow = new Set(options.allow.map(normaliseHost));
    this.#onRefusal = options.onRefusal;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    const id = options.identity;
    const keyPem = id === undefined ? undefined : Buffer.from(id.key.export({ format: "pem", type: "pkcs8" }));
    try {
      checkCertificates(options.ca);
      this.#context = createSecureContext({
        ca: options.ca,
        ...(id === undefined || keyPem === undefined ? {} : { cert: id.certificate, key: keyPem }),
        minVersion: "TLSv1.3",
      });
    } catch (err) {
      throw new EdgewardError("EW_ERR_AGENT_CONFIG", { detail: "the hub CA or the device certificate", cause: err });
    } finally {
      keyPem?.fill(0);
    }
  }

  /** Sends a request and reads the answer (any status) into memory. */
  async fetch(url: string, req: EgressRequest = {}): Promise<EgressResponse> {
    const res = await this.stream(url, req);
    const max = req.maxBytes ?? 16 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res) {
      total += (chunk as Buffer).length;
      if (total > max) {
        res.destroy();
        throw new EdgewardError("EW_ERR_INPUT_TOO_LARGE", { detail: `answer from ${url} over ${max} bytes` });
      }
      chunks.push(chunk as Buffer);
    }
    return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
  }

  /** Sends a request and returns the response stream (the caller reads or destroys it). */
  stream(url: string, req: EgressRequest = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      // Inside the executor, so a refusal is a rejection like any other failure.
      const target = this.#check(url);
      const body = req.json === undefined ? undefined : Buffer.from(JSON.stringify(req.json));
      // tls.connect takes a prepared secureContext; the agent passes it through. The agent's pool is this client's
      // alone, so connections made with one identity are never used under another.
      const options: RequestOptions & { secureContext: SecureContext } = {
        method: req.method ?? (body === undefined ? "GET" : "POST"),
        secureContext: this.#context,
        headers: {
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json", "content-length": String(body.length) }),
          ...req.headers,
        },
        timeout: req.timeoutMs ?? this.#timeoutMs,
        agent: this.#agent,
      };
      const r = request(target, options, resolve);
      r.on("timeout", () => r.destroy(new Error("timed out")));
      r.on("error", (err) =>
        reject(new EdgewardError("EW_ERR_AGENT_HUB_UNREACHABLE", { detail: `${target.host}: ${err.message}` })),
      );
      r.end(body);
    });
  }

  /** Closes the idle connections now; those still carrying a request close once it ends. */
  release(): void {
    // node:http's Agent destroys a socket freed while its keepAlive is off (not in @types/node).
    (this.#agent as Agent & { keepAlive: boolean }).keepAlive = false;
    for (const sockets of Object.values(this.#agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
  }

  /** Closes every connection, a request under way included. */
  close(): void {
    this.#agent.destroy();
  }

  #check(url: string): URL {
    let parsed: URL | undefined;
    let reason: string | undefined;
    try {
      parsed = new URL(url);
    } catch {
      reason = "not a URL";
    }
    if (parsed !== undefined) {
      if (parsed.protocol !== "https:") reason = `${parsed.protocol} is not https`;
      else if (parsed.username !== "" || parsed.password !== "") reason = "credentials in the URL";
      else if (!this.#allow.has(normaliseHost(parsed.host))) reason = `${parsed.host} is not in the allow-list`;
    }
    if (reason === undefined && parsed !== undefined) return parsed;
    this.#onRefusal?.(url, reason ?? "not a URL");
    throw new EdgewardError("EW_ERR_AGENT_EGRESS_DENIED", { detail: reason ?? url });
  }
}

/** `host` or `host:port`, lower-cased, with the default https port made explicit. */
function normaliseHost(hostPort: string): string {
  const h = hostPort.trim().toLowerCase();
  return /:\d+$/.test(h) && !/^\[[^\]]*\]$/.test(h) ? h : `${h}:443`;
}

/** Node's TLS ignores a CA bundle that holds no certificate; refuse one, so a bad configuration fails at start. */
function checkCertificates(pem: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error("no certificate in the CA bundle");
  for (const b of blocks) new X509Certificate(b);
}
