import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EXIT } from "@edgeward/core";
import { tempDir } from "@edgeward/testkit";
import { CLI_BIN, printedCode, runCli } from "./helpers/cli.ts";

// `edgeward log append` keeps each event exactly as sent or refuses it, and holds no more of a line than an
// event may be long, however long the line.
const dir = tempDir("edgeward-log-events-");
const db = join(dir.path, "log.db");
const line = (fields: string): string =>
  `{"actor":"hub","kind":"attest.pass","subject":"device-1","time":"2026-05-01T12:00:00Z",${fields}}\n`;

before(async () => {
  const res = await runCli(["log", "init", "--db", db, "--origin", "edgeward.test/events", "--key", `${db}.key`]);
  assert.equal(res.status, 0, res.stderr);
});
after(() => dir[Symbol.dispose]());

async function refused(stdin: string, code: string, exit: number): Promise<void> {
  const res = await runCli(["log", "append", "--db", db], { stdin: Buffer.from(stdin) });
  assert.equal(printedCode(res), code, res.stderr);
  assert.equal(res.status, exit, res.stderr);
  assert.match(res.stderr, /line 2/);
}

describe("edgeward log append keeps events exactly or refuses them", () => {
  it("a repeated member is EW_ERR_LOG_EVENT_DUPLICATE_KEY, an integer beyond 2^53 EW_ERR_LOG_EVENT_NUMBER", async () => {
    const good = line('"details":{}');
    await refused(`${good}${line('"details":{"ok":true,"ok":false}')}`, "EW_ERR_LOG_EVENT_DUPLICATE_KEY", EXIT.format);
    await refused(`${good}${line('"details":{"id":12345678901234567890}')}`, "EW_ERR_LOG_EVENT_NUMBER", EXIT.format);
  });

  it("a bidirectional override in the actor is EW_ERR_LOG_EVENT_CHARACTER", async () => {
    await refused(
      `${line('"details":{}')}${line('"details":{}').replace('"hub"', '"hub\u202enimda"')}`,
      "EW_ERR_LOG_EVENT_CHARACTER",
      EXIT.format,
    );
  });

  it("a 55 MB line is refused with EW_ERR_INPUT_TOO_LARGE while peak memory stays under 200 MB", async () => {
    // GNU time reports the child's peak resident set (%M, KiB); the line is streamed, never built in this process.
    const child = spawn("/usr/bin/time", ["-f", "maxrss=%M", process.execPath, CLI_BIN, "log", "append", "--db", db], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.stdout.resume();
    child.stdin.on("error", () => undefined); // the CLI stops reading at the limit: EPIPE is expected
    const chunk = Buffer.alloc(1 << 20, 0x61);
    child.stdin.write(line('"details":{}'));
    child.stdin.write('{"details":{"blob":"');
    for (let i = 0; i < 55 && child.stdin.writable; i++)
      if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once("drain", r).once("close", r));
    child.stdin.end('"}}\n');
    const status = await new Promise<number | null>((r) => child.on("close", r));
    assert.equal(
      printedCode({ status: status ?? -1, stdout: Buffer.alloc(0), stderr }),
      "EW_ERR_INPUT_TOO_LARGE",
      stderr,
    );
    assert.equal(status, EXIT.format, stderr);
    const kib = Number(/maxrss=(\d+)/.exec(stderr)?.[1]);
    assert.ok(kib > 0 && kib < 200 * 1024, `peak RSS ${kib} KiB`);
  });
});
