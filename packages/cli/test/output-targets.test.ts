import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "@edgeward/testkit";
import { CLI_BIN, printedCode, runCli, type CliResult } from "./helpers/cli.ts";

// Every command that writes a file, pointed with -o at every kind of target (the "Writing files" rules in
// docs/cli.md): a device or FIFO is written through and never replaced, a directory or the input itself refused
// before any work, a symbolic link replaced and never followed, and an existing key never overwritten unasked.
const dir = tempDir("edgeward-targets-");
const p = (name: string): string => join(dir.path, name);
const MODEL = randomBytes(200_000);
const KIND = [
  "missing",
  "regular",
  "existing key",
  "symlink",
  "directory",
  "fifo",
  "null device",
  "full device",
  "link to a device",
];

/** A command that writes one file: how to run it with its output at `target`, and what it writes there. */
interface Writer {
  readonly name: string;
  readonly argv: (target: string) => string[];
  /** Makes a private key: refuses an existing file or link unless --force. */
  readonly privateKey: boolean;
  /** The command's input, refused as its output. */
  readonly input?: string;
  /** Mode of a new output. */
  readonly mode: number;
  /** True when `bytes` are what the command writes. */
  readonly looksRight: (bytes: Buffer) => boolean;
  /** The code a device target gives instead of success, when the command cannot write to one. */
  readonly deviceCode?: string;
}

const text = (prefix: string) => (b: Buffer) => b.toString("latin1").includes(prefix);
const WRITERS: readonly Writer[] = [
  {
    name: "keygen",
    argv: (t) => ["keygen", "-o", t],
    privateKey: true,
    mode: 0o600,
    looksRight: text("AGE-SECRET-KEY-1"),
  },
  {
    name: "sign-keygen (NAME.key)",
    argv: (t) => ["sign-keygen", "-o", t.replace(/\.key$/, "")],
    privateKey: true,
    mode: 0o600,
    looksRight: text("-----BEGIN PRIVATE KEY-----"),
  },
  {
    name: "tpm keygen --software",
    argv: (t) => ["tpm", "--software", "--keystore", p("keystore"), "keygen", "-o", t],
    privateKey: true,
    mode: 0o600,
    looksRight: text("-----BEGIN EDGEWARD SOFTWARE KEY-----"),
  },
  {
    name: "seal",
    argv: (t) => ["seal", p("model.bin"), "-R", p("recipients.txt"), "-o", t],
    privateKey: false,
    input: p("model.bin"),
    mode: 0o644,
    looksRight: text("age-encryption.org/v1\n"),
  },
  {
    name: "seal --sign",
    argv: (t) => ["seal", p("model.bin"), "-R", p("recipients.txt"), "--sign", p("pub.key"), "-o", t],
    privateKey: false,
    input: p("model.bin"),
    mode: 0o644,
    looksRight: text("age-encryption.org/v1\n"),
    deviceCode: "EW_ERR_USAGE",
  },
  {
    name: "open",
    argv: (t) => ["open", p("model.age"), "-i", p("device.key"), "-o", t],
    privateKey: false,
    input: p("model.age"),
    mode: 0o600,
    looksRight: (b) => b.equals(MODEL),
  },
  {
    name: "open --verify",
    argv: (t) => ["open", p("model.age"), "-i", p("device.key"), "--verify", p("pub.pub"), "-o", t],
    privateKey: false,
    input: p("model.age"),
    mode: 0o600,
    looksRight: (b) => b.equals(MODEL),
  },
];

before(async () => {
  writeFileSync(p("model.bin"), MODEL);
  mkdirSync(p("keystore"));
  const key = await runCli(["keygen", "-o", p("device.key"), "--json"]);
  const { recipient } = JSON.parse(key.stdout.toString()) as { recipient: string };
  writeFileSync(p("recipients.txt"), `${recipient}\n`);
  await runCli(["sign-keygen", "-o", p("pub")]);
  const sealed = await runCli(["seal", p("model.bin"), "-r", recipient, "--sign", p("pub.key"), "-o", p("model.age")]);
  assert.equal(sealed.status, 0, sealed.stderr);
});
after(() => dir[Symbol.dispose]());

describe("every -o pointed at every kind of target", { concurrency: 4 }, () => {
  for (const writer of WRITERS)
    for (const kind of KIND)
      it(`${writer.name} -o ${kind}`, async () => {
        const work = p(`${writer.name.replace(/\W+/g, "-")}-${kind.replace(/\W+/g, "-")}`);
        mkdirSync(work);
        const target = join(work, "out.key");
        await CASES[kind]!(writer, work, target);
      });
  for (const writer of WRITERS.filter((w) => w.input !== undefined))
    it(`${writer.name} -o its own input: EW_ERR_OUTPUT_IS_INPUT, the input unchanged`, async () => {
      const input = writer.input!;
      const before = readFileSync(input);
      const res = await runCli(writer.argv(input));
      assert.equal(printedCode(res), "EW_ERR_OUTPUT_IS_INPUT", res.stderr);
      assert.ok(readFileSync(input).equals(before));
    });
  it("open -o its identity file, or seal -o its signing key: EW_ERR_OUTPUT_IS_INPUT, the key unchanged", async () => {
    for (const [args, key] of [
      [["open", p("model.age"), "-i", p("device.key"), "-o", p("device.key")], p("device.key")],
      [["seal", p("model.bin"), "-R", p("recipients.txt"), "--sign", p("pub.key"), "-o", p("pub.key")], p("pub.key")],
    ] as const) {
      const before = readFileSync(key);
      const res = await runCli(args);
      assert.equal(printedCode(res), "EW_ERR_OUTPUT_IS_INPUT", res.stderr);
      assert.ok(readFileSync(key).equals(before));
    }
  });
});

const CASES: Record<string, (w: Writer, work: string, target: string) => Promise<void>> = {
  async missing(w, _work, target) {
    ok(await runCli(w.argv(target)));
    assertWritten(w, target);
  },
  async regular(w, work, target) {
    writeFileSync(target, "old\n");
    const res = await runCli(w.argv(target));
    if (w.privateKey) {
      assert.equal(printedCode(res), "EW_ERR_OUTPUT_EXISTS", res.stderr);
      assert.equal(readFileSync(target, "utf8"), "old\n");
      ok(await runCli([...w.argv(target), "--force"]));
    } else ok(res);
    assertWritten(w, target);
    assertNoLeftovers(work);
  },
  async "existing key"(w, _work, target) {
    ok(await runCli(w.argv(target)));
    const first = readFileSync(target);
    const res = await runCli(w.argv(target));
    if (w.privateKey) {
      assert.equal(printedCode(res), "EW_ERR_OUTPUT_EXISTS", res.stderr);
      assert.ok(readFileSync(target).equals(first), "the existing key was changed");
    } else ok(res);
    assertWritten(w, target);
  },
  async symlink(w, work, target) {
    const victim = join(work, "victim");
    writeFileSync(victim, "victim\n");
    symlinkSync(victim, target);
    const res = await runCli(w.argv(target));
    assert.equal(readFileSync(victim, "utf8"), "victim\n", "the link was followed");
    if (w.privateKey) {
      assert.equal(printedCode(res), "EW_ERR_OUTPUT_EXISTS", res.stderr);
      assert.ok(lstatSync(target).isSymbolicLink());
      return;
    }
    ok(res);
    assertWritten(w, target);
  },
  async directory(w, work, target) {
    mkdirSync(target);
    const res = await runCli(w.argv(target));
    assert.equal(printedCode(res), "EW_ERR_IO_IS_DIRECTORY", res.stderr);
    assert.deepEqual(readdirSync(target), []);
    assertNoLeftovers(work);
  },
  async fifo(w, work, target) {
    execFileSync("mkfifo", [target]);
    const reader = readAll(target);
    const res = await runCli(w.argv(target));
    const got = await reader.settle();
    ok(res);
    assert.ok(w.looksRight(got), "the FIFO's reader did not get the output");
    assert.ok(lstatSync(target).isFIFO(), "the FIFO was replaced");
    assertNoLeftovers(work);
  },
  async "null device"(w, work, target) {
    const res = await inPrivateMountNamespace(work, target, "1 3", w.argv(target));
    if (w.deviceCode !== undefined) assert.equal(res.code, w.deviceCode);
    else assert.equal(res.status, 0, res.stderr);
    assert.equal(res.after, "character special file", "the device was replaced");
  },
  async "full device"(w, work, target) {
    const res = await inPrivateMountNamespace(work, target, "1 7", w.argv(target));
    assert.equal(res.code, w.deviceCode ?? "EW_ERR_IO_NO_SPACE", res.stderr);
    assert.equal(res.after, "character special file", "the device was replaced");
  },
  // `-o /dev/stdout` is a link to a device: written through, the link left in place.
  async "link to a device"(w, work, target) {
    const res = await inPrivateMountNamespace(work, target, "1 7", w.argv(target), true);
    assert.equal(res.code, w.deviceCode ?? "EW_ERR_IO_NO_SPACE", res.stderr);
    assert.equal(res.after, "symbolic link", "the link was replaced");
  },
};

function ok(res: CliResult): void {
  assert.equal(res.status, 0, res.stderr);
}

function assertWritten(w: Writer, target: string): void {
  const st = lstatSync(target);
  assert.ok(st.isFile(), "not a regular file");
  assert.equal(st.mode & 0o777, w.mode);
  assert.ok(w.looksRight(readFileSync(target)), "unexpected contents");
}

/** No temporary file left beside the target, and nothing but what the case made (and a key pair's .pub). */
function assertNoLeftovers(work: string): void {
  const extra = readdirSync(work).filter((n) => n.startsWith(".") || n.endsWith(".tmp"));
  assert.deepEqual(extra, []);
}

/**
 * Reads a FIFO with `cat`. `settle()` gives what it read once it ends, or after 3 s (then it is killed): a FIFO
 * that was replaced by a file is never opened for writing, and its reader would wait forever.
 */
function readAll(path: string): { settle(): Promise<Buffer> } {
  const cat = spawn("cat", [path], { stdio: ["ignore", "pipe", "inherit"] });
  const out: Buffer[] = [];
  cat.stdout.on("data", (c: Buffer) => out.push(c));
  const closed = new Promise<void>((resolve) => cat.on("close", () => resolve()));
  return {
    async settle() {
      const timer = setTimeout(() => cat.kill("SIGKILL"), 3_000);
      await closed;
      clearTimeout(timer);
      return Buffer.concat(out);
    },
  };
}

/**
 * Runs the CLI in a private mount namespace (`unshare -m`, as root) where `work` is a fresh tmpfs holding a
 * character device `major minor` at `target` (1 3 is /dev/null's, 1 7 /dev/full's), so a device can be offered
 * as -o without touching the machine's own (with `link`, a symbolic link to it); reports the code and what
 * `target` is afterwards.
 */
function inPrivateMountNamespace(
  work: string,
  target: string,
  device: string,
  argv: string[],
  link = false,
): Promise<{ status: number; code: string | undefined; stderr: string; after: string }> {
  const script = [
    `mount -t tmpfs none "$1"`,
    link ? `mknod "$2.dev" c ${device} && ln -s "$2.dev" "$2"` : `mknod "$2" c ${device}`,
    `shift 2`,
    `"$@" 2>"$TMPDIR_ERR"; echo "status=$?"`,
    `stat -c %F "$TARGET"`,
  ].join("\n");
  const errFile = join(dir.path, `err-${randomBytes(4).toString("hex")}`);
  return new Promise((resolve, reject) => {
    const child = spawn("unshare", ["-m", "sh", "-c", script, "sh", work, target, process.execPath, CLI_BIN, ...argv], {
      env: { ...process.env, TMPDIR_ERR: errFile, TARGET: target },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.on("error", reject);
    child.on("close", () => {
      const lines = Buffer.concat(out).toString().trim().split("\n");
      const stderr = readFileSync(errFile, "utf8");
      resolve({
        status: Number(/status=(\d+)/.exec(lines.find((l) => l.startsWith("status=")) ?? "")?.[1] ?? -1),
        code: /^error (EW_ERR_[A-Z0-9_]+):/m.exec(stderr)?.[1],
        stderr,
        after: lines.at(-1) ?? "",
      });
    });
  });
}
