import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startSwtpm, tempDir, TPM_EVIDENCE_FIXTURES, type Swtpm } from "@edgeward/testkit";
import { printedCode, runCli } from "./helpers/cli.ts";

// `edgeward tpm` as a user runs it: real processes against swtpm through TPM2TOOLS_TCTI.
// Recorded swtpm quotes, shared with the core verifier's tests (testkit fixtures/tpm-evidence).
const fx = (dir: string, name: string): string => join(TPM_EVIDENCE_FIXTURES, dir, name);
const nonce = (JSON.parse(readFileSync(fx("ecdsa", "meta.json"), "utf8")) as { nonce: string }).nonce;

function verifyArgs(dir: string, n = nonce): string[] {
  return [
    ...["tpm", "verify-quote", "--ak", fx(dir, "ak.pem"), "--message", fx(dir, "quote.msg")],
    ...["--signature", fx(dir, "quote.sig"), "--pcrs", fx(dir, "quote.pcrs"), "--nonce", n],
  ];
}

describe("edgeward tpm verify-quote on files tpm2_quote -m -s -o wrote (no TPM needed)", () => {
  it("verifies a recorded quote and prints the quoted PCRs as JSON", async () => {
    const res = await runCli([...verifyArgs("ecdsa"), "--json"]);
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout.toString()) as { verified: boolean; pcrs: string };
    assert.equal(out.verified, true);
    assert.equal(out.pcrs, "sha256:0,1,2,3,4,5,6,7,14");
  });

  it("when the nonce is another, exits 7 with EW_ERR_QUOTE_NONCE", async () => {
    const res = await runCli(verifyArgs("ecdsa", "00"));
    assert.equal(printedCode(res), "EW_ERR_QUOTE_NONCE");
    assert.equal(res.status, 7);
  });

  it("when the AK is another TPM's, exits with EW_ERR_QUOTE_SIGNATURE", async () => {
    const args = verifyArgs("ecdsa");
    args[3] = fx("other-ak", "ak.pem");
    assert.equal(printedCode(await runCli(args)), "EW_ERR_QUOTE_SIGNATURE");
  });

  it("when an expected PCR differs, exits with EW_ERR_QUOTE_PCR_POLICY; when all match, passes", async () => {
    using dir = tempDir();
    const wrong = join(dir.path, "wrong.json");
    writeFileSync(wrong, JSON.stringify({ sha256: { 7: "00".repeat(32) } }));
    assert.equal(
      printedCode(await runCli([...verifyArgs("ecdsa"), "--expect-pcrs", wrong])),
      "EW_ERR_QUOTE_PCR_POLICY",
    );
    const same = await runCli([...verifyArgs("ecdsa"), "--expect-pcrs", fx("ecdsa", "quote.pcrs")]);
    assert.equal(same.status, 0, same.stderr);
  });

  it("when a file is missing or malformed, exits with EW_ERR_IO or EW_ERR_TPM_PARSE", async () => {
    const missing = verifyArgs("ecdsa");
    missing[5] = "/nonexistent/quote.msg";
    assert.equal(printedCode(await runCli(missing)), "EW_ERR_IO");
    const garbage = verifyArgs("ecdsa");
    garbage[5] = fx("ecdsa", "ak.pem");
    assert.equal(printedCode(await runCli(garbage)), "EW_ERR_TPM_PARSE");
  });
});

describe("edgeward tpm against swtpm", { timeout: 180_000 }, () => {
  let tpm: Swtpm;
  const dir = tempDir();
  const p = (name: string): string => join(dir.path, name);
  const env = (): NodeJS.ProcessEnv => ({ TPM2TOOLS_TCTI: tpm.tcti });
  async function ok(args: string[]): Promise<string> {
    const res = await runCli(args, { env: env() });
    assert.equal(res.status, 0, `edgeward ${args.join(" ")}: ${res.stderr}`);
    return res.stdout.toString();
  }

  before(async () => {
    tpm = await startSwtpm({ ekCert: "copy" });
  });
  after(async () => {
    await tpm?.stop();
    dir[Symbol.dispose]();
  });

  it("status reports the manufacturer, PCR banks and EK certificates", async () => {
    const s = JSON.parse(await ok(["tpm", "status", "--json"])) as Record<string, unknown>;
    assert.equal(s["manufacturer"], "IBM");
    assert.equal(s["hardwareBacked"], true);
    assert.deepEqual(s["ekCertificates"], { rsa: true, ecc: true });
    assert.deepEqual(s["pcrBanks"], ["sha256"]);
  });

  it("keygen, seal, open through the TPM; after extend, open fails with EW_ERR_TPM_POLICY", async () => {
    const recipient = (await ok(["tpm", "keygen", "--pcrs", "7,14", "-o", p("device.tpmkey")])).trim();
    assert.match(recipient, /^age1tag1/);
    assert.equal(statSync(p("device.tpmkey")).mode & 0o777, 0o600);
    const model = randomBytes(70_000);
    writeFileSync(p("model.bin"), model);
    await ok(["seal", p("model.bin"), "-r", recipient, "-o", p("model.age")]);
    await ok(["open", p("model.age"), "-i", p("device.tpmkey"), "-o", p("out.bin")]);
    assert.deepEqual(readFileSync(p("out.bin")), model);
    await ok(["tpm", "extend", "--pcr", "14", "--data", "tamper: case opened"]);
    const res = await runCli(["open", p("model.age"), "-i", p("device.tpmkey"), "-o", p("out2.bin")], { env: env() });
    assert.equal(printedCode(res), "EW_ERR_TPM_POLICY", res.stderr);
    await tpm.reboot();
    await ok(["open", p("model.age"), "-i", p("device.tpmkey"), "-o", p("out3.bin")]);
  });

  it("keygen refuses PCRs software can reset and the SHA-1 bank unless allowed, before touching the TPM", async () => {
    for (const [pcrs, code] of [
      ["7,16", "EW_ERR_TPM_PCR_RESETTABLE"],
      ["23", "EW_ERR_TPM_PCR_RESETTABLE"],
      ["sha256:7,21", "EW_ERR_TPM_PCR_RESETTABLE"],
      ["sha1:7", "EW_ERR_TPM_PCR_SHA1"],
      ["sha256:7+sha1:14", "EW_ERR_TPM_PCR_SHA1"],
    ] as const) {
      const res = await runCli(["tpm", "keygen", "--pcrs", pcrs, "-o", p("refused.tpmkey")], { env: env() });
      assert.equal(printedCode(res), code, `${pcrs}: ${res.stderr}`);
      assert.equal(res.status, 7);
      assert.equal(existsSync(p("refused.tpmkey")), false);
    }
  });

  it("extend on a resettable PCR says it can be undone, and it can: tpm2_pcrreset frees a key bound to PCR 16", async () => {
    const recipient = (
      await ok(["tpm", "keygen", "--pcrs", "7,16", "--allow-resettable-pcrs", "-o", p("debug.tpmkey")])
    ).trim();
    writeFileSync(p("small.bin"), randomBytes(1000));
    await ok(["seal", p("small.bin"), "-r", recipient, "-o", p("small.age")]);
    const extended = await runCli(["tpm", "extend", "--pcr", "16", "--data", "tamper", "--json"], { env: env() });
    assert.equal(extended.status, 0, extended.stderr);
    assert.equal((JSON.parse(extended.stdout.toString()) as { resettable: boolean }).resettable, true);
    assert.match(extended.stderr, /can be undone/);
    const open = ["open", p("small.age"), "-i", p("debug.tpmkey"), "-o", p("small.out")];
    assert.equal(printedCode(await runCli(open, { env: env() })), "EW_ERR_TPM_POLICY");
    const reset = spawnSync("tpm2_pcrreset", ["16"], { env: { ...process.env, ...env() }, encoding: "utf8" });
    assert.equal(reset.status, 0, reset.stderr);
    await ok(open);
    const boot = JSON.parse(await ok(["tpm", "extend", "--pcr", "14", "--data", "tamper", "--json"])) as {
      resettable: boolean;
    };
    assert.equal(boot.resettable, false);
  });

  it("quote writes the three tpm2_quote files, and verify-quote accepts them with the recorded signer", async () => {
    const n = randomBytes(20).toString("hex");
    await ok(["tpm", "quote", "--pcrs", "0,1,2,3,4,5,6,7", "--nonce", n, "-o", p("q")]);
    const signer = readFileSync(p("q/ak.name"), "utf8").trim();
    const args = [
      ...["tpm", "verify-quote", "--ak", p("q/ak.pem"), "--message", p("q/quote.msg")],
      ...["--signature", p("q/quote.sig"), "--pcrs", p("q/quote.pcrs"), "--nonce", n, "--signer", signer],
    ];
    assert.match(await ok(args), /^quote OK/);
  });

  it("quote into a directory holding a symbolic link replaces the link and never writes through it", async () => {
    mkdirSync(p("q-link"));
    writeFileSync(p("victim"), "victim\n");
    symlinkSync(p("victim"), p("q-link/quote.msg"));
    await ok(["tpm", "quote", "--nonce", "00", "-o", p("q-link")]);
    assert.equal(readFileSync(p("victim"), "utf8"), "victim\n");
    assert.ok(lstatSync(p("q-link/quote.msg")).isFile());
  });

  it("quote -o FILE (not a directory) fails with EW_ERR_USAGE before the TPM does any work", async () => {
    writeFileSync(p("q-file"), "");
    const res = await runCli(["tpm", "quote", "--nonce", "00", "-o", p("q-file")], { env: env() });
    assert.equal(printedCode(res), "EW_ERR_USAGE");
  });

  it("counter increment only goes up and read returns it", async () => {
    const first = BigInt((await ok(["tpm", "counter", "increment"])).trim());
    const second = BigInt((await ok(["tpm", "counter", "increment"])).trim());
    assert.equal(second, first + 1n);
    assert.equal(BigInt((await ok(["tpm", "counter", "read"])).trim()), second);
  });

  it("with --software, says the keystore is NOT hardware-backed", async () => {
    const out = await ok(["tpm", "--software", "--keystore", p("keystore"), "status"]);
    assert.match(out, /hardware-backed: +NO/);
  });

  it("with no TPM at the TCTI, exits 8 with EW_ERR_TPM_UNAVAILABLE", async () => {
    const res = await runCli(["tpm", "status"], { env: { TPM2TOOLS_TCTI: `swtpm:path=${p("none.sock")}` } });
    assert.equal(printedCode(res), "EW_ERR_TPM_UNAVAILABLE");
    assert.equal(res.status, 8);
  });
});
