/**
 * Shared by the swtpm tests. They never skip: where swtpm is missing, startSwtpm fails and says to run setup, so a
 * missing install step fails CI instead of hiding.
 */
import { execFile } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { verifyQuote, type VerifiedQuote } from "@edgeward/core";
import { tempDir, type Swtpm } from "@edgeward/testkit";
import { Tpm2ToolsDevice, type AttestationKey, type QuoteEvidence } from "@edgeward/tpm";

const run = promisify(execFile);

/** The tpm2-tools device for `tpm`. */
export function deviceFor(tpm: Swtpm): Tpm2ToolsDevice {
  return new Tpm2ToolsDevice({ tcti: tpm.tcti });
}

/** Generous per-test timeout for a loaded two-core machine. */
export const SLOW = { timeout: 120_000 };

/** A copy of `value` with every byte array as hex, so Buffer and Uint8Array compare equal. */
export function hexed(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (Array.isArray(value)) return value.map(hexed);
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hexed(v)]));
  return value;
}

/**
 * Checks `q` with `tpm2_checkquote` (the second implementation of quote verification): the AK's PEM, message,
 * signature, PCR file and nonce, as a verifier receives them. Rejects when the tool refuses the quote.
 */
export async function checkquote(akPublicKeyPem: string, q: QuoteEvidence, nonce: Uint8Array): Promise<void> {
  using dir = tempDir();
  const files = { "ak.pem": akPublicKeyPem, "q.msg": q.message, "q.sig": q.signature, "q.pcrs": q.pcrsFile };
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir.path, name), data);
  await run(
    "tpm2_checkquote",
    [
      ...["-u", "ak.pem", "-m", "q.msg", "-s", "q.sig", "-f", "q.pcrs", "-g", "sha256"],
      ...["-q", Buffer.from(nonce).toString("hex")],
    ],
    { cwd: dir.path },
  );
}

/** Verifies `q` with the in-process verifier as the hub does: `ak`'s key, the nonce, and `ak` as the signer. */
export function verifyQuoteOf(ak: AttestationKey, q: QuoteEvidence, nonce: Uint8Array): VerifiedQuote {
  return verifyQuote({
    message: q.message,
    signature: q.signature,
    akPublicKey: createPublicKey(ak.publicKeyPem),
    nonce,
    pcrValues: q.pcrValues,
    expectedSigner: ak.qualifiedName,
  });
}
