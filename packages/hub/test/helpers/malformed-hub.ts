/**
 * A stand-in for a hub that answers wrongly: a real node:https server on 127.0.0.1 with a self-signed certificate
 * that openssl makes for the run, answering each request with whatever the test's `answer` returns. It is not the
 * hub (that is what is under test: the operator client's handling of answers the real hub never gives).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { tempDir } from "@edgeward/testkit";

const run = promisify(execFile);

/** What the stand-in sends back for one request: a status and the raw body text. */
export interface CannedAnswer {
  readonly status: number;
  readonly body: string;
}

/** A running stand-in; `requests` lists "METHOD path" in the order they came. */
export interface MalformedHub extends AsyncDisposable {
  readonly url: string;
  readonly ca: string;
  readonly requests: string[];
}

/** Starts the stand-in; dispose it (`await using`) to close the server. */
export async function startMalformedHub(answer: (req: IncomingMessage) => CannedAnswer): Promise<MalformedHub> {
  using dir = tempDir("edgeward-malformed-hub-");
  const key = join(dir.path, "key.pem");
  const cert = join(dir.path, "cert.pem");
  await run("openssl", [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"],
    ...["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
  ]);
  const ca = readFileSync(cert, "utf8");
  const requests: string[] = [];
  const server: Server = createServer({ key: readFileSync(key), cert: ca }, (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    // Read the request body to its end before answering, as the hub does.
    req.resume();
    req.on("end", () => {
      const { status, body } = answer(req);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca,
    requests,
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
