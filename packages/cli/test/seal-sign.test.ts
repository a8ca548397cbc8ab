import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "@edgeward/testkit";
import { CLI_BIN, printedCode, runCli } from "./helpers/cli.ts";

// `seal --sign` signs exactly the bytes it sealed: the model is read once, and the signature is computed from the
// plaintext read back from the sealed file; a failed seal leaves the old sealed file and signature as they were.
const dir = tempDir("edgeward-seal-sign-");
const p = (name: string): string => join(dir.path, name);
const SIZE = 3 * 1024 * 1024 + 12_345;
let recipient = "";

before(async () => {
  writeFileSync(p("model.bin"), randomBytes(SIZE));
  const key = await runCli(["keygen", "-o", p("device.key"), "--json"]);
  recipient = (JSON.parse(key.stdout.toString()) as { recipient: string }).recipient;
  assert.equal((await runCli(["sign-keygen", "-o", p("pub")])).status, 0);
});
after(() => dir[Symbol.dispose]());

/** `edgeward seal MODEL --sign KEY` without its -o. */
function sealSigned(): string[] {
  return ["seal", p("model.bin"), "-r", recipient, "--sign", p("pub.key")];
}

describe("edgeward seal --sign", () => {
  it("reads the model once (strace counts the bytes read from it) and its signature verifies", async () => {
    const trace = join(p("trace"), "t");
    mkdirSync(p("trace"));
    // -ff: one file per thread, so no call is split into "unfinished" and "resumed" halves across threads.
    const res = spawnSync(
      "strace",
      ["-f", "-ff", "-qq", "-y", "-e", "trace=read,pread64,preadv,preadv2", "-o", trace, process.execPath, CLI_BIN]
        .concat(sealSigned())
        .concat(["-o", p("model.age")]),
      { encoding: "utf8" },
    );
    assert.equal(res.status, 0, res.stderr);
    // strace -y names each descriptor's file: `pread64(21</tmp/…/model.bin>, …) = 2097152`.
    const read = readdirSync(p("trace"))
      .flatMap((f) => readFileSync(join(p("trace"), f), "utf8").split("\n"))
      .filter((l) => l.includes("/model.bin>"))
      .reduce((sum, l) => sum + Number(/= (\d+)$/.exec(l)?.[1] ?? 0), 0);
    assert.equal(read, SIZE);
    const verified = await runCli(["verify", p("model.bin"), "--sig", p("model.age.sig"), "--key", p("pub.pub")]);
    assert.equal(verified.status, 0, verified.stderr);
    const opened = await runCli([
      "verify",
      p("model.age"),
      "-i",
      p("device.key"),
      "--sig",
      p("model.age.sig"),
      "--key",
      p("pub.pub"),
    ]);
    assert.equal(opened.status, 0, opened.stderr);
  });

  it("on a full disk fails with EW_ERR_IO_NO_SPACE and leaves the old sealed file and signature untouched", () => {
    // A 2 MiB tmpfs in a private mount namespace holds an old sealed pair; the 3 MiB model cannot fit beside it.
    const script = [
      `mount -t tmpfs -o size=2m none "$1"`,
      `printf old > "$1/m.age"; printf oldsig > "$1/m.age.sig"`,
      `shift`,
      `"$@" -o "$DISK/m.age"; echo "status=$?" >&2`,
      `ls -A "$DISK"; cat "$DISK/m.age" "$DISK/m.age.sig"`,
    ].join("\n");
    const disk = p("disk");
    spawnSync("mkdir", [disk]);
    const res = spawnSync(
      "unshare",
      ["-m", "sh", "-c", script, "sh", disk, process.execPath, CLI_BIN].concat(sealSigned()),
      { encoding: "utf8", env: { ...process.env, DISK: disk } },
    );
    assert.match(res.stderr, /status=3/);
    assert.equal(printedCode({ status: 3, stdout: Buffer.alloc(0), stderr: res.stderr }), "EW_ERR_IO_NO_SPACE");
    assert.equal(res.stdout, "m.age\nm.age.sig\noldoldsig");
  });
});
