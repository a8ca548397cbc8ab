/**
 * Records the TPM evidence the core verifier tests use, so they run where swtpm is absent. Run it by hand after a
 * format change: `node packages/tpm/test/record-fixtures.ts` (needs swtpm and tpm2-tools). Every file is written
 * exactly as tpm2-tools writes it; meta.json says what the verifier should expect.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { startSwtpm, swtpmLocalCa, TPM_EVIDENCE_FIXTURES, type Swtpm } from "@edgeward/testkit";
import { createTpmDecryptionKey, Tpm2ToolsDevice } from "@edgeward/tpm";

const run = promisify(execFile);
const OUT = TPM_EVIDENCE_FIXTURES;
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

async function tool(tpm: Swtpm, cwd: string, name: string, args: string[]): Promise<string> {
  const { stdout } = await run(name, args, { cwd, env: { ...process.env, ...tpm.env } });
  await run("tpm2_flushcontext", ["-t"], { cwd, env: { ...process.env, ...tpm.env } });
  return stdout;
}

/** Fake boot measurements so PCRs 0-7 and 14 are not all zero. */
async function measureBoot(dev: Tpm2ToolsDevice): Promise<void> {
  for (const pcr of [0, 1, 2, 3, 4, 5, 6, 7, 14]) await dev.pcrExtend(pcr, Buffer.from(`edgeward fixture boot ${pcr}`));
}

async function quoteWith(
  tpm: Swtpm,
  dir: string,
  scheme: string,
  selection: string,
  nonce: string,
  extra: string[] = [],
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await tool(tpm, dir, "tpm2_createprimary", [
    ...[
      "-C",
      "e",
      "-g",
      "sha256",
      "-G",
      scheme,
      "-a",
      "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign",
    ],
    ...["-c", "ak.ctx", "-o", "ak.pub"],
  ]);
  await tool(tpm, dir, "tpm2_readpublic", ["-c", "ak.ctx", "-f", "pem", "-o", "ak.pem"]);
  await tool(tpm, dir, "tpm2_quote", [
    ...["-c", "ak.ctx", "-l", selection, "-q", nonce, "-g", "sha256", ...extra],
    ...["-m", "quote.msg", "-s", "quote.sig", "-o", "quote.pcrs"],
  ]);
  const yaml = await tool(tpm, dir, "tpm2_readpublic", ["-c", "ak.ctx"]);
  const qn = /qualified name: ([0-9a-f]+)/.exec(yaml)?.[1] ?? "";
  rmSync(join(dir, "ak.ctx"));
  writeFileSync(join(dir, "meta.json"), `${JSON.stringify({ nonce, selection, qualifiedSigner: qn }, null, 2)}\n`);
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

// A provisioned TPM (EK certificates, sha256 bank only) and a fresh one (four banks, no EK certificate).
await using a = await startSwtpm({ ekCert: "unique" });
await using b = await startSwtpm();
const devA = new Tpm2ToolsDevice({ tcti: a.tcti });
const devB = new Tpm2ToolsDevice({ tcti: b.tcti });
await measureBoot(devA);
await measureBoot(devB);

const nonce = "5ca1ab1ec0ffee00112233445566778899aabbccddeeff00";
await quoteWith(a, join(OUT, "ecdsa"), "ecc256:ecdsa-sha256:null", "sha256:0,1,2,3,4,5,6,7,14", nonce);
await quoteWith(a, join(OUT, "rsassa"), "rsa2048:rsassa-sha256:null", "sha256:0,1,2,3,4,5,6,7", nonce);
await quoteWith(a, join(OUT, "rsapss"), "rsa2048:rsapss-sha256:null", "sha256:0,7", nonce, ["--scheme", "rsapss"]);
await quoteWith(
  b,
  join(OUT, "multibank"),
  "ecc256:ecdsa-sha256:null",
  "sha1:0,7+sha256:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15+sha384:7",
  nonce,
);

// Certify: the decryption key under its PCR policy, certified by the ECDSA AK; and the AK certifying itself
// (a key with the wrong attributes for a decryption key).
{
  const dir = join(OUT, "certify");
  mkdirSync(dir, { recursive: true });
  const ak = await devA.createAttestationKey();
  const created = await createTpmDecryptionKey(devA);
  const ev = await devA.certify(ak, created.key);
  writeFileSync(join(dir, "ak.pem"), ak.publicKeyPem);
  writeFileSync(join(dir, "ak.pub"), ak.public);
  writeFileSync(join(dir, "key.pub"), created.key.public);
  writeFileSync(join(dir, "key.tpmkey"), created.keyFile);
  writeFileSync(join(dir, "certify.attest"), ev.attest);
  writeFileSync(join(dir, "certify.sig"), ev.signature);
  const meta = {
    qualifiedSigner: hex(ak.qualifiedName),
    policyDigest: hex(created.key.policyDigest),
    pcrDigest: hex(created.key.pcrDigest),
    recipient: created.recipient,
    extraData: "00ff55aa",
  };
  writeFileSync(join(dir, "meta.json"), `${JSON.stringify(meta, null, 2)}\n`);
  await tool(a, dir, "tpm2_createprimary", [
    ...[
      "-C",
      "e",
      "-g",
      "sha256",
      "-G",
      "ecc256:ecdsa-sha256:null",
      "-a",
      "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign",
    ],
    ...["-c", "ak.ctx"],
  ]);
  await tool(a, dir, "tpm2_certify", [
    "-c",
    "ak.ctx",
    "-C",
    "ak.ctx",
    "-g",
    "sha256",
    "-o",
    "self.attest",
    "-s",
    "self.sig",
  ]);
  rmSync(join(dir, "ak.ctx"));
  // The PolicyPCR digest tpm2-tools computes for the same selection and values, as a cross-check.
  await tool(a, dir, "tpm2_pcrread", ["sha256:7,14", "-o", "policy.pcrs"]);
  await tool(a, dir, "tpm2_startauthsession", ["-S", "trial.ctx"]);
  await tool(a, dir, "tpm2_policypcr", [
    "-S",
    "trial.ctx",
    "-l",
    "sha256:7,14",
    "-f",
    "policy.pcrs",
    "-L",
    "policy.trial",
  ]);
  await run("tpm2_flushcontext", ["-s"], { env: { ...process.env, ...a.env } });
  rmSync(join(dir, "trial.ctx"));
}

// Endorsement: EK public areas and certificates from NV, and the local CA that signed them.
{
  const dir = join(OUT, "ek");
  mkdirSync(dir, { recursive: true });
  for (const type of ["rsa", "ecc"] as const) {
    writeFileSync(join(dir, `ek-${type}.pub`), await devA.ekPublic(type));
    const cert = await devA.ekCertificate(type);
    if (cert !== null) writeFileSync(join(dir, `ek-${type}.der`), cert);
  }
  const ca = await swtpmLocalCa();
  writeFileSync(join(dir, "root.pem"), ca.rootPem);
  writeFileSync(join(dir, "intermediate.pem"), ca.intermediatePem);
}

// A different AK (another TPM's), for "quote signed by another key".
{
  const dir = join(OUT, "other-ak");
  mkdirSync(dir, { recursive: true });
  const ak = await devB.createAttestationKey();
  writeFileSync(join(dir, "ak.pem"), ak.publicKeyPem);
  writeFileSync(join(dir, "meta.json"), `${JSON.stringify({ qualifiedSigner: hex(ak.qualifiedName) }, null, 2)}\n`);
}

console.log(`recorded fixtures in ${OUT}`);
console.log(readFileSync(join(OUT, "ecdsa", "meta.json"), "utf8"));
