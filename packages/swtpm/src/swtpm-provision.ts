/**
 * EK certificate provisioning for swtpm: `swtpm_setup --create-ek-cert --create-platform-cert` with swtpm_localca,
 * under a local CA made once per test process in its own directory (never the system's /var/lib/swtpm-localca).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The local CA that signs this process's swtpm EK certificates. */
export interface SwtpmLocalCa {
  readonly dir: string;
  /** The self-signed root (what a verifier configures as a manufacturer root). */
  readonly rootPem: string;
  /** The intermediate that signs EK certificates. */
  readonly intermediatePem: string;
}

let caDir: string | undefined;
let template: Promise<string> | undefined;
let firstProvision: Promise<void> | undefined;

process.once("exit", () => {
  if (caDir !== undefined) rmSync(caDir, { recursive: true, force: true });
});

function ensureCaDir(): string {
  if (caDir !== undefined) return caDir;
  const dir = mkdtempSync(join(tmpdir(), "edgeward-swtpm-ca-"));
  writeFileSync(
    join(dir, "localca.conf"),
    [
      `statedir = ${dir}`,
      `signingkey = ${join(dir, "signkey.pem")}`,
      `issuercert = ${join(dir, "issuercert.pem")}`,
      `certserial = ${join(dir, "certserial")}`,
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "localca.options"),
    ["--platform-manufacturer Edgeward", "--platform-version 2.1", "--platform-model swtpm", ""].join("\n"),
  );
  writeFileSync(
    join(dir, "setup.conf"),
    [
      "create_certs_tool = /usr/bin/swtpm_localca",
      `create_certs_tool_config = ${join(dir, "localca.conf")}`,
      `create_certs_tool_options = ${join(dir, "localca.options")}`,
      "active_pcr_banks = sha256",
      "",
    ].join("\n"),
  );
  caDir = dir;
  return dir;
}

/** Manufactures TPM state with RSA and ECC EKs and their certificates into `dir` (~1-2 s). */
export async function provisionState(dir: string): Promise<void> {
  const ca = ensureCaDir();
  mkdirSync(dir, { recursive: true });
  const once = async (): Promise<void> => {
    await run(
      "swtpm_setup",
      [
        "--tpm2",
        "--tpmstate",
        dir,
        "--create-ek-cert",
        "--create-platform-cert",
        "--config",
        join(ca, "setup.conf"),
        "--overwrite",
        "--logfile",
        join(dir, "swtpm_setup.log"),
      ],
      { timeout: 120_000 },
    );
  };
  // The first call creates the CA's keys; concurrent first calls would race on them.
  if (firstProvision === undefined) {
    firstProvision = once();
    return firstProvision;
  }
  await firstProvision.catch(() => undefined);
  await once();
}

/** One provisioned state per process, for copies (see StartSwtpmOptions.ekCert). */
export function provisionedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = join(ensureCaDir(), "template");
    await provisionState(dir);
    return dir;
  })();
  return template;
}

/** This process's local CA (provisioning it first if no TPM has been provisioned yet). */
export async function swtpmLocalCa(): Promise<SwtpmLocalCa> {
  await provisionedTemplate();
  const dir = ensureCaDir();
  return {
    dir,
    rootPem: readFileSync(join(dir, "swtpm-localca-rootca-cert.pem"), "utf8"),
    intermediatePem: readFileSync(join(dir, "issuercert.pem"), "utf8"),
  };
}
