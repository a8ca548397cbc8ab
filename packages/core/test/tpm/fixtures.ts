/**
 * Reading the recorded TPM evidence (testkit's TPM_EVIDENCE_FIXTURES: swtpm 0.7.1 / libtpms, tpm2-tools 5.4).
 * Each directory holds the files exactly as tpm2-tools wrote them, and meta.json with what the verifier expects.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { TPM_EVIDENCE_FIXTURES } from "@edgeward/testkit";

const ROOT = pathToFileURL(TPM_EVIDENCE_FIXTURES);

/** The bytes of `fixtures/DIR/NAME`. */
export function fixture(dir: string, name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`${dir}/${name}`, ROOT)));
}

/** The text of `fixtures/DIR/NAME`. */
export function fixtureText(dir: string, name: string): string {
  return readFileSync(new URL(`${dir}/${name}`, ROOT), "utf8");
}

/** meta.json of a fixture directory. */
export function meta(dir: string): Record<string, string> {
  return JSON.parse(fixtureText(dir, "meta.json")) as Record<string, string>;
}

/** Hex to bytes. */
export function unhex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}

/** A copy of `bytes` with bit `bit` of byte `index` flipped (negative index counts from the end). */
export function flip(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const out = bytes.slice();
  const i = index < 0 ? out.length + index : index;
  out[i] = (out[i] ?? 0) ^ (1 << bit);
  return out;
}
