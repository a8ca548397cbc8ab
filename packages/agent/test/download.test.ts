import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, get, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { downloadTarget } from "@edgeward/agent";

// The download logic against a local HTTP server (the TLS client in front of it is tested in egress.test.ts).
describe("downloading a release's ciphertext", () => {
  const dir = tempDir("edgeward-download-");
  // Over two of the downloader's 1 MiB write batches, so a cut lands after a written batch and mid-way through one.
  const body = randomBytes(2_600_000);
  const sha256 = createHash("sha256").update(body).digest("hex");
  let mode: "whole" | "cut" | "extra" | "ignore-range" = "whole";
  const ranges: string[] = [];
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer((req, res) => {
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
      ranges.push(req.headers.range ?? "none");
      if (range !== null && mode !== "ignore-range") {
        const from = Number(range[1]);
        res.writeHead(206, { "content-range": `bytes ${from}-${body.length - 1}/${body.length}` });
        res.end(body.subarray(from));
        return;
      }
      if (mode === "cut") {
        res.writeHead(200, { "content-length": body.length });
        // Cut the connection once the first part had time to arrive (a loaded machine may need a while).
        res.write(body.subarray(0, 1_300_000), () => setTimeout(() => res.destroy(), 200));
        return;
      }
      res.end(mode === "extra" ? Buffer.concat([body, Buffer.from("more")]) : body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    dir[Symbol.dispose]();
  });
  const fetchFrom = (offset: number) =>
    new Promise<IncomingMessage>((resolve, reject) =>
      get(`http://127.0.0.1:${port}/t`, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {} }, resolve).on(
        "error",
        reject,
      ),
    );

  it("a cut transfer is EW_ERR_AGENT_DOWNLOAD_INCOMPLETE, and the next try resumes with a Range request", async () => {
    const dest = join(dir.path, "a", "payload.age");
    mode = "cut";
    ranges.length = 0;
    await rejectsWithCode(
      downloadTarget(fetchFrom, dest, { length: body.length, sha256 }),
      "EW_ERR_AGENT_DOWNLOAD_INCOMPLETE",
    );
    assert.equal(existsSync(dest), false);
    // Everything that arrived is kept, the batch not yet written included.
    assert.equal(statSync(`${dest}.part`).size, 1_300_000, "the part that arrived is kept");
    mode = "whole";
    await downloadTarget(fetchFrom, dest, { length: body.length, sha256 });
    assert.deepEqual(readFileSync(dest), body);
    assert.match(ranges[1] ?? "", /^bytes=\d+-$/);
  });

  it("a server that ignores the Range header makes it start again, and the result is still checked", async () => {
    const dest = join(dir.path, "b", "payload.age");
    mode = "cut";
    await rejectsWithCode(
      downloadTarget(fetchFrom, dest, { length: body.length, sha256 }),
      "EW_ERR_AGENT_DOWNLOAD_INCOMPLETE",
    );
    mode = "ignore-range";
    await downloadTarget(fetchFrom, dest, { length: body.length, sha256 });
    assert.deepEqual(readFileSync(dest), body);
  });

  it("a wrong hash or more bytes than TUF declared is EW_ERR_AGENT_TARGET_MISMATCH, and nothing is kept", async () => {
    mode = "whole";
    const wrong = join(dir.path, "c", "payload.age");
    await rejectsWithCode(
      downloadTarget(fetchFrom, wrong, { length: body.length, sha256: "00".repeat(32) }),
      "EW_ERR_AGENT_TARGET_MISMATCH",
    );
    assert.equal(existsSync(wrong) || existsSync(`${wrong}.part`), false);
    mode = "extra";
    const long = join(dir.path, "d", "payload.age");
    await rejectsWithCode(
      downloadTarget(fetchFrom, long, { length: body.length, sha256 }),
      "EW_ERR_AGENT_TARGET_MISMATCH",
    );
    assert.equal(existsSync(long) || existsSync(`${long}.part`), false);
  });
});
