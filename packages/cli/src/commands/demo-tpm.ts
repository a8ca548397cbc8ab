import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isEdgewardError, openSealedModel, parseRecipient, sealFile } from "@edgeward/core";
import { openForRead, writeOutput } from "@edgeward/io";
import { startSwtpmFleet, swtpmAvailable } from "@edgeward/swtpm";
import { APPLICATION_PCR, createTpmDecryptionKey, Tpm2ToolsDevice, tpmIdentityFromText } from "@edgeward/tpm";

/** One line of the demo's TPM section: what was tried and what happened. */
export interface TpmDemoResult {
  readonly step: string;
  readonly outcome: string;
}

/**
 * The demo's TPM section (promise 1: keys sealed in the TPM): two software TPMs (swtpm, the same TPM 2.0 code
 * a real chip runs, driven by tpm2-tools) stand in for two devices. The model is sealed to device A's
 * PCR-bound P-256 key; it opens on A, not on B with A's key file copied over (a cloned disk), not on A after a
 * boot-state change, and again on A after a reboot.
 */
export async function tpmDemo(dir: string, model: string, say: (line: string) => void): Promise<TpmDemoResult[]> {
  if (!swtpmAvailable()) {
    say("   skipped: swtpm and tpm2-tools are not installed (npm run setup installs them)");
    return [];
  }
  say("   two software TPMs (swtpm, driven by tpm2-tools) stand in for the TPM chips of devices A and B");
  await using fleet = await startSwtpmFleet(2);
  const [a, b] = fleet;
  if (a === undefined || b === undefined) return [];
  const deviceA = new Tpm2ToolsDevice({ tcti: a.tcti });
  const deviceB = new Tpm2ToolsDevice({ tcti: b.tcti });
  const key = await createTpmDecryptionKey(deviceA);
  await writeFile(join(dir, "device-a.tpmkey"), key.keyFile, { mode: 0o600 });
  const sealed = join(dir, "model.tpm.age");
  const input = await openForRead(model, "model");
  try {
    await writeOutput(sealed, (out) => sealFile(input, out, [parseRecipient(key.recipient)]), { what: "sealed file" });
  } finally {
    await input.close();
  }
  say(`   device A's TPM key (PCRs 7,${APPLICATION_PCR}): ${key.recipient}`);
  const attempt = async (step: string, device: Tpm2ToolsDevice): Promise<TpmDemoResult> => {
    const fh = await openForRead(sealed, "sealed model");
    const started = performance.now();
    try {
      const { plaintext } = await openSealedModel(fh, [tpmIdentityFromText(key.keyFile, { device })]);
      plaintext.fill(0);
      return { step, outcome: `opens (${(performance.now() - started).toFixed(0)} ms, unwrapped inside the TPM)` };
    } catch (err) {
      return { step, outcome: isEdgewardError(err) ? err.code : "crash" };
    } finally {
      await fh.close();
    }
  };
  const results = [await attempt("on device A", deviceA)];
  results.push(await attempt("key file and model copied to device B", deviceB));
  await deviceA.pcrExtend(APPLICATION_PCR, new TextEncoder().encode("tamper: case opened"));
  results.push(await attempt(`on A after PCR ${APPLICATION_PCR} is extended (tamper)`, deviceA));
  await a.reboot();
  results.push(await attempt("on A after a reboot", deviceA));
  for (const r of results) say(`   ${r.step.padEnd(38)} -> ${r.outcome}`);
  return results;
}
