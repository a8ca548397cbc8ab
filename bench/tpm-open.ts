// Benchmark: opening the 256 MiB synthetic model through the TPM identity vs a software identity (target: within
// 1.1x — the TPM does one ECDH, the rest is the same payload work). Both files are sealed to a P-256 `age1tag1`
// recipient; one identity's key is in swtpm (PCR-bound, unwrap over the direct transport), the other is a software
// P-256 key. Opened with core's openToMemory from a file handle (worker threads on every core), alternating, median
// of --runs each. The unwrap through tpm2-tools processes is measured too, for the record.
//
//   node bench/tpm-open.ts [--runs 5] [--mib 256]
//
// Writes bench/out/tpm-open.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  generateIdentity,
  openToMemory,
  parseIdentities,
  parseRecipient,
  sealFile,
  type AgeIdentity,
} from "@edgeward/core";
import { startSwtpm, syntheticMatMulModel } from "@edgeward/testkit";
import { createTpmDecryptionKey, tpmIdentityFromText, Tpm2ToolsDevice } from "@edgeward/tpm";
import { median } from "./lib/measure.ts";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "5" }, mib: { type: "string", default: "256" } },
});
const runs = Number(values.runs);
const side = Math.round(Math.sqrt((Number(values.mib) * 2 ** 20) / 4));

const dir = mkdtempSync(join(tmpdir(), "edgeward-tpm-open-"));
await using tpm = await startSwtpm();
try {
  const modelPath = join(dir, "model.onnx");
  writeFileSync(modelPath, syntheticMatMulModel(side, side));
  const device = new Tpm2ToolsDevice({ tcti: tpm.tcti });
  const created = await createTpmDecryptionKey(device);
  const software = generateIdentity("p256");
  const seal = async (recipient: string, out: string): Promise<string> => {
    const input = await open(modelPath, "r");
    const output = await open(join(dir, out), "w");
    await sealFile(input, output, [parseRecipient(recipient)]);
    await Promise.all([input.close(), output.close()]);
    return join(dir, out);
  };
  const tpmFile = await seal(created.recipient, "model.tpm.age");
  const swFile = await seal(software.recipient, "model.sw.age");
  const identities: Record<string, { file: string; ids: AgeIdentity[] }> = {
    tpm: { file: tpmFile, ids: [tpmIdentityFromText(created.keyFile, { device })] },
    software: { file: swFile, ids: parseIdentities(software.identityText) },
    tpmViaTools: {
      file: tpmFile,
      ids: [tpmIdentityFromText(created.keyFile, { device: new Tpm2ToolsDevice({ tcti: tpm.tcti, native: false }) })],
    },
  };
  const times: Record<string, number[]> = { tpm: [], software: [], tpmViaTools: [] };
  const openOnce = async (name: string): Promise<number> => {
    const { file, ids } = identities[name]!;
    const fh = await open(file, "r");
    const t = performance.now();
    const plain = await openToMemory(fh, ids);
    const ms = performance.now() - t;
    await fh.close();
    plain.fill(0);
    return ms;
  };
  await openOnce("software"); // warm up workers and caches
  await openOnce("tpm");
  // Rotate the order every round, so no side always follows the same neighbour (whose freed 256 MiB buffer and
  // worker state the next open inherits).
  const names = Object.keys(times);
  for (let i = 0; i < runs; i++)
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length]!;
      times[name]!.push(await openOnce(name));
    }
  const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  const result = {
    bench: "tpm-open",
    modelMiB: (side * side * 4) / 2 ** 20,
    runs,
    medianMs: med,
    ratioTpmVsSoftware: med["tpm"]! / med["software"]!,
    ratioTpmViaToolsVsSoftware: med["tpmViaTools"]! / med["software"]!,
    target: 1.1,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./out/tpm-open.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `open ${result.modelMiB.toFixed(0)} MiB: software identity median ${med["software"]!.toFixed(0)} ms, TPM identity ` +
      `${med["tpm"]!.toFixed(0)} ms -> ${result.ratioTpmVsSoftware.toFixed(3)}x (target <= 1.1x); with the unwrap through ` +
      `tpm2-tools ${med["tpmViaTools"]!.toFixed(0)} ms -> ${result.ratioTpmViaToolsVsSoftware.toFixed(3)}x; peak RSS ` +
      `${result.peakRssMiB.toFixed(0)} MiB`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
