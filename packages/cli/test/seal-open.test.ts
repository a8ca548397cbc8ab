import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "@edgeward/testkit";
import { printedCode, runCli } from "./helpers/cli.ts";

// End-to-end tests of the sealed-model commands (keygen, seal, open, verify, inspect) as a user runs them: real
// processes, real files, the `age` CLI as the second implementation (Debian package `age`).
const dir = tempDir("edgeward-cli-");
const p = (name: string) => join(dir.path, name);
let model: Buffer;

async function ok(args: string[], stdin?: Uint8Array): Promise<Buffer> {
  const res = await runCli(args, stdin === undefined ? {} : { stdin });
  assert.equal(res.status, 0, `edgeward ${args.join(" ")} failed: ${res.stderr}`);
  return res.stdout;
}

async function fails(args: string[], code: string, exit?: number): Promise<void> {
  const res = await runCli(args);
  assert.notEqual(res.status, 0, `edgeward ${args.join(" ")} succeeded`);
  assert.equal(printedCode(res), code, res.stderr);
  if (exit !== undefined) assert.equal(res.status, exit);
}

function leftovers(): string[] {
  return readdirSync(dir.path).filter((f) => f.endsWith(".tmp") || f.startsWith("out"));
}

before(async () => {
  model = randomBytes(3 * 65536 + 1234);
  writeFileSync(p("model.bin"), model);
  await ok(["keygen", "-o", p("device.key")]);
  await ok(["keygen", "--type", "pq", "-o", p("pq.key")]);
  await ok(["keygen", "--type", "p256", "-o", p("tag.key")]);
  await ok(["sign-keygen", "-o", p("publisher")]);
  execFileSync("age-keygen", ["-o", p("agekeygen.key")], { stdio: "ignore" });
});
after(() => dir[Symbol.dispose]());

function recipientOf(keyFile: string): string {
  const line = readFileSync(keyFile, "utf8").match(/# public key: (\S+)/);
  assert.ok(line?.[1], `no public key comment in ${keyFile}`);
  return line[1];
}

describe("edgeward keygen and sign-keygen", () => {
  it("writes identity files with mode 0600 and prints the recipient as JSON", async () => {
    const out = JSON.parse((await ok(["keygen", "--type", "p256", "-o", p("k2.key"), "--json"])).toString()) as {
      recipient: string;
    };
    assert.match(out.recipient, /^age1tag1/);
    assert.equal(statSync(p("k2.key")).mode & 0o777, 0o600);
    assert.equal(statSync(p("publisher.key")).mode & 0o777, 0o600);
    assert.match(readFileSync(p("publisher.pub"), "utf8"), /BEGIN PUBLIC KEY/);
  });

  it("when the key type is unknown, fails with EW_ERR_USAGE and exit status 2", async () => {
    await fails(["keygen", "--type", "rsa"], "EW_ERR_USAGE", 2);
  });
});

describe("edgeward seal, open, verify, inspect", () => {
  it("seals for several recipients with a signature; each identity opens it; verify passes", async () => {
    await ok([
      "seal",
      p("model.bin"),
      "-r",
      recipientOf(p("device.key")),
      "-r",
      recipientOf(p("tag.key")),
      "--sign",
      p("publisher.key"),
      "-o",
      p("model.age"),
    ]);
    assert.ok(existsSync(p("model.age.sig")));
    for (const key of ["device.key", "tag.key"]) {
      await ok(["open", p("model.age"), "-i", p(key), "--verify", p("publisher.pub"), "-o", p(`out-${key}`)]);
      assert.deepEqual(readFileSync(p(`out-${key}`)), model);
    }
    await ok(["verify", p("model.bin"), "--sig", p("model.age.sig"), "--key", p("publisher.pub")]);
    await ok([
      "verify",
      p("model.age"),
      "--sig",
      p("model.age.sig"),
      "--key",
      p("publisher.pub"),
      "-i",
      p("device.key"),
    ]);
  });

  it("verify --json reports the same subject digest for the sealed model as for the plaintext, and open --json its size", async () => {
    const digestOf = async (args: string[]) =>
      (JSON.parse((await ok([...args, "--json"])).toString()) as { digest: string }).digest;
    const plain = await digestOf(["verify", p("model.bin"), "--sig", p("model.age.sig"), "--key", p("publisher.pub")]);
    const sealed = await digestOf([
      "verify",
      p("model.age"),
      "--sig",
      p("model.age.sig"),
      "--key",
      p("publisher.pub"),
      "-i",
      p("device.key"),
    ]);
    assert.match(plain, /^[0-9a-f]{64}$/);
    assert.equal(sealed, plain);
    const opened = JSON.parse(
      (await ok(["open", p("model.age"), "-i", p("device.key"), "-o", p("out-json"), "--json"])).toString(),
    ) as {
      size: number;
    };
    assert.equal(opened.size, model.length);
  });

  it("the sealed file opens with the age CLI, and a file from `age -r` opens with edgeward", async () => {
    const plain = execFileSync("age", ["-d", "-i", p("device.key"), p("model.age")]);
    assert.deepEqual(plain, model);
    execFileSync("age", ["-r", recipientOf(p("agekeygen.key")), "-o", p("by-age.age"), p("model.bin")]);
    await ok(["open", p("by-age.age"), "-i", p("agekeygen.key"), "-o", p("out-from-age")]);
    assert.deepEqual(readFileSync(p("out-from-age")), model);
    assert.deepEqual(await ok(["open", p("by-age.age"), "-i", p("agekeygen.key"), "-o", "-"]), model);
  });

  it("a hybrid post-quantum recipient seals and opens (age1pq1)", async () => {
    await ok(["seal", p("model.bin"), "-r", recipientOf(p("pq.key")), "-o", p("model.pq.age")]);
    await ok(["open", p("model.pq.age"), "-i", p("pq.key"), "-o", p("out-pq")]);
    assert.deepEqual(readFileSync(p("out-pq")), model);
  });

  it("inspect reports recipient types, sizes and chunk count without a key", async () => {
    const info = JSON.parse((await ok(["inspect", p("model.age"), "--json"])).toString()) as {
      recipients: { type: string }[];
      plaintextSize: number;
      chunkCount: number;
    };
    assert.deepEqual(info.recipients.map((r) => r.type).sort(), ["X25519", "p256tag"]);
    assert.equal(info.plaintextSize, model.length);
    assert.equal(info.chunkCount, 4);
  });
});

describe("edgeward refuses bad input with a typed code and leaves no output file", () => {
  const sealed = () => readFileSync(p("model.age"));
  const variant = (name: string, bytes: Uint8Array) => {
    writeFileSync(p(name), bytes);
    return p(name);
  };

  it("when the identity is not a recipient, fails with EW_ERR_AGE_NO_IDENTITY", async () => {
    await fails(["open", p("model.age"), "-i", p("pq.key"), "-o", p("out-x")], "EW_ERR_AGE_NO_IDENTITY");
    assert.deepEqual(
      leftovers().filter((f) => f === "out-x"),
      [],
    );
  });

  it("when a payload byte is flipped, fails with EW_ERR_AGE_PAYLOAD_AUTH and writes nothing", async () => {
    const b = sealed();
    b[b.length - 10]! ^= 1;
    await fails(
      ["open", variant("flip.age", b), "-i", p("device.key"), "-o", p("out-flip")],
      "EW_ERR_AGE_PAYLOAD_AUTH",
    );
    assert.ok(!existsSync(p("out-flip")));
  });

  it("when the file is truncated at a chunk boundary, fails with EW_ERR_AGE_PAYLOAD_TRUNCATED", async () => {
    const b = sealed();
    const cut = variant("cut.age", b.subarray(0, b.length - (1234 + 16)));
    await fails(["open", cut, "-i", p("device.key"), "-o", p("out-cut")], "EW_ERR_AGE_PAYLOAD_TRUNCATED");
    assert.ok(!existsSync(p("out-cut")));
  });

  it("when the header MAC is damaged, fails with EW_ERR_AGE_HEADER_MAC", async () => {
    const b = sealed();
    const macLine = b.indexOf("\n--- ") + 6;
    b[macLine] = b[macLine] === 0x41 ? 0x42 : 0x41;
    await fails(["open", variant("mac.age", b), "-i", p("device.key"), "-o", p("out-mac")], "EW_ERR_AGE_HEADER_MAC");
    assert.ok(!existsSync(p("out-mac")));
  });

  it("when the input is empty, fails with an EW_ERR_AGE_HEADER code", async () => {
    const res = await runCli([
      "open",
      variant("empty.age", new Uint8Array(0)),
      "-i",
      p("device.key"),
      "-o",
      p("out-e"),
    ]);
    assert.notEqual(res.status, 0);
    assert.match(printedCode(res) ?? "", /^EW_ERR_AGE_HEADER_/);
    assert.ok(!existsSync(p("out-e")));
  });

  it("when the signature belongs to another model, verify fails with EW_ERR_SIG_DIGEST_MISMATCH", async () => {
    writeFileSync(p("other.bin"), randomBytes(1000));
    await fails(
      ["verify", p("other.bin"), "--sig", p("model.age.sig"), "--key", p("publisher.pub")],
      "EW_ERR_SIG_DIGEST_MISMATCH",
    );
  });

  it("when the signing key is another publisher's, open --verify fails with a signature code and writes nothing", async () => {
    await ok(["sign-keygen", "-o", p("mallory")]);
    const res = await runCli([
      "open",
      p("model.age"),
      "-i",
      p("device.key"),
      "--verify",
      p("mallory.pub"),
      "-o",
      p("out-mallory"),
    ]);
    assert.notEqual(res.status, 0);
    assert.match(printedCode(res) ?? "", /^EW_ERR_SIG_/);
    assert.ok(!existsSync(p("out-mallory")));
  });

  it("when the signature file is not JSON, fails with EW_ERR_OMS_BUNDLE_MALFORMED", async () => {
    writeFileSync(p("bad.sig"), "{not json");
    await fails(
      ["verify", p("model.bin"), "--sig", p("bad.sig"), "--key", p("publisher.pub")],
      "EW_ERR_OMS_BUNDLE_MALFORMED",
    );
  });

  it("when a sealed model is verified without -i, fails with EW_ERR_USAGE", async () => {
    await fails(
      ["verify", p("model.age"), "--sig", p("model.age.sig"), "--key", p("publisher.pub")],
      "EW_ERR_USAGE",
      2,
    );
  });

  it("when the model file does not exist, seal fails with EW_ERR_IO and exit status 3", async () => {
    await fails(["seal", p("missing.bin"), "-r", recipientOf(p("device.key")), "-o", p("out-missing")], "EW_ERR_IO", 3);
    assert.ok(!existsSync(p("out-missing")));
  });

  it("when open has no -i, or --sig without --verify, or seal has no recipient, fails with EW_ERR_USAGE and exit 2", async () => {
    await fails(["open", p("model.age"), "-o", p("out-noid")], "EW_ERR_USAGE", 2);
    await fails(
      ["open", p("model.age"), "-i", p("device.key"), "--sig", p("model.age.sig"), "-o", p("out-s")],
      "EW_ERR_USAGE",
      2,
    );
    await fails(
      ["run", p("model.age"), "-i", p("device.key"), "--sig", p("model.age.sig"), "--input", p("x")],
      "EW_ERR_USAGE",
      2,
    );
    await fails(["seal", p("model.bin"), "-o", p("out-norcpt")], "EW_ERR_USAGE", 2);
    assert.deepEqual(
      leftovers().filter((f) => ["out-noid", "out-s", "out-norcpt"].includes(f)),
      [],
    );
  });

  it("when a recipient is malformed, seal fails with EW_ERR_AGE_RECIPIENT", async () => {
    await fails(["seal", p("model.bin"), "-r", "age1notarecipient", "-o", p("out-r")], "EW_ERR_AGE_RECIPIENT");
  });
});
