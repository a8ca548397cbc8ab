import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "@edgeward/testkit";
import { CLI_BIN, printedCode, runCli, type CliResult } from "./helpers/cli.ts";

// How failures come out: with --json, `{"error": {"code", "message"}}` on stdout as well as the usual line on
// stderr, for every command; ordinary I/O failures typed, never a stack trace or EW_ERR_INTERNAL; no secret in
// any message.
const dir = tempDir("edgeward-errors-");
const p = (name: string): string => join(dir.path, name);
const NO_TPM = { TPM2TOOLS_TCTI: `swtpm:path=${p("no-tpm.sock")}` };
let recipient = "";

before(async () => {
  writeFileSync(p("model.bin"), randomBytes(1 << 20));
  writeFileSync(p("empty"), "");
  mkdirSync(p("a-directory"));
  const key = await runCli(["keygen", "-o", p("device.key"), "--json"]);
  recipient = (JSON.parse(key.stdout.toString()) as { recipient: string }).recipient;
  assert.equal((await runCli(["seal", p("model.bin"), "-r", recipient, "-o", p("model.age")])).status, 0);
});
after(() => dir[Symbol.dispose]());

/** One failing invocation of every command (each with --json). */
const FAILING: Record<string, string[]> = {
  keygen: ["keygen", "--type", "rsa"],
  "sign-keygen": ["sign-keygen", "-o", join("{dir}", "no-such-dir", "pub")],
  seal: ["seal", "{dir}/missing.bin", "-r", "age1xyz", "-o", "{dir}/out.age"],
  open: ["open", "{dir}/missing.age", "-i", "{dir}/device.key", "-o", "{dir}/out"],
  verify: ["verify", "{dir}/missing.bin", "--sig", "{dir}/x.sig", "--key", "{dir}/x.pub"],
  inspect: ["inspect", "{dir}/empty"],
  run: ["run", "{dir}/missing.age", "-i", "{dir}/device.key", "--input", "{dir}/x.npy"],
  demo: ["demo", "--model", "{dir}/missing.onnx"],
  "tpm status": ["tpm", "status"],
  "tpm keygen": ["tpm", "keygen", "-o", "{dir}/tpm.key"],
  "tpm quote": ["tpm", "quote", "--nonce", "zz", "-o", "{dir}/quote"],
  "tpm verify-quote": ["tpm", "verify-quote", "--ak", "{dir}/a", "--message", "{dir}/m"].concat([
    "--signature",
    "{dir}/s",
    "--pcrs",
    "{dir}/p",
    "--nonce",
    "00",
  ]),
  "tpm extend": ["tpm", "extend", "--pcr", "14", "--data", "x"],
  "tpm counter": ["tpm", "counter", "read"],
  "log init": ["log", "init", "--db", "{dir}/no-such-dir/log.db", "--origin", "o", "--key", "{dir}/log.key"],
  "log append": ["log", "append", "--db", "{dir}/missing.db", "--key", "{dir}/log.key"],
  "log checkpoint": ["log", "checkpoint", "--db", "{dir}/missing.db", "--key", "{dir}/log.key"],
  "log prove": ["log", "prove", "--db", "{dir}/missing.db", "--index", "0"],
  "log verify": ["log", "verify", "--db", "{dir}/missing.db", "--vkey", "{dir}/log.vkey"],
};

describe("with --json, every command's failure is JSON on stdout and a line on stderr", { concurrency: 4 }, () => {
  for (const [command, args] of Object.entries(FAILING))
    it(`${command}`, async () => {
      const res = await runCli([...args.map((a) => a.replace("{dir}", dir.path)), "--json"], { env: NO_TPM });
      assert.notEqual(res.status, 0);
      const out = JSON.parse(res.stdout.toString()) as { error: { code: string; message: string } };
      assert.equal(out.error.code, printedCode(res), res.stderr);
      assert.ok(out.error.message.length > 0);
      assertNoCrash(res);
    });
});

describe("ordinary I/O failures are typed", () => {
  it("a reader that closes the pipe early (open -o - | head -c 10): EW_ERR_IO_PIPE_CLOSED, exit 3", () => {
    const res = shell(`"$NODE" "$CLI" open "$DIR/model.age" -i "$DIR/device.key" -o - | head -c 10 >/dev/null`);
    assert.equal(res.status, 3, res.stderr);
    assert.equal(printedCode(res), "EW_ERR_IO_PIPE_CLOSED");
    assertNoCrash(res);
  });

  it("a full disk behind a redirect (open -o - >/dev/full): EW_ERR_IO_NO_SPACE", () => {
    const res = shell(`"$NODE" "$CLI" open "$DIR/model.age" -i "$DIR/device.key" -o - >/dev/full`);
    assert.equal(printedCode(res), "EW_ERR_IO_NO_SPACE", res.stderr);
    assertNoCrash(res);
  });

  it("a directory where a file is expected (an identity, a model): EW_ERR_IO_IS_DIRECTORY", async () => {
    const identity = await runCli(["open", p("model.age"), "-i", p("a-directory"), "-o", p("out")]);
    assert.equal(printedCode(identity), "EW_ERR_IO_IS_DIRECTORY", identity.stderr);
    const model = await runCli(["seal", p("a-directory"), "-r", recipient, "-o", p("out")]);
    assert.equal(printedCode(model), "EW_ERR_IO_IS_DIRECTORY", model.stderr);
    assertNoCrash(identity);
  });
});

describe("secrets never appear in errors", () => {
  it("a PostgreSQL URL's password, in its userinfo or its query, is redacted on stderr and in --json", async () => {
    const url = "postgres://bob:hunter2@127.0.0.1:1/log?password=s3cret&sslpassword=k3y&sslmode=disable";
    writeFileSync(p("events.jsonl"), '{"kind":"x"}\n');
    const res = await runCli(["log", "append", "--postgres", url, "--file", p("events.jsonl"), "--json"]);
    assert.notEqual(res.status, 0);
    const text = res.stdout.toString() + res.stderr;
    for (const secret of ["hunter2", "s3cret", "k3y"]) assert.ok(!text.includes(secret), `${secret} printed`);
    assert.match(res.stderr, /127\.0\.0\.1:1\/log/, "the message no longer says which database");
  });
});

function shell(script: string): CliResult {
  const res = spawnSync("bash", ["-o", "pipefail", "-c", script], {
    encoding: "utf8",
    env: { ...process.env, NODE: process.execPath, CLI: CLI_BIN, DIR: dir.path },
  });
  return { status: res.status ?? -1, stdout: Buffer.from(res.stdout), stderr: res.stderr };
}

function assertNoCrash(res: CliResult): void {
  assert.notEqual(printedCode(res), "EW_ERR_INTERNAL", res.stderr);
  assert.doesNotMatch(res.stderr, /^\s+at /m, "a stack trace was printed");
}
