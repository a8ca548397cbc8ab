// Benchmark: latency of each TPM operation the agent uses, against swtpm: unwrap (TPM2_ECDH_ZGen under
// the PCR policy — what opening a sealed model costs on top of the payload; over the direct transport, and through
// tpm2-tools for comparison), quote, certify, PCR extend, and for context keygen, seal, unseal and creating the AK. Median of --runs each. Anchor measured in the same run: one
// bare `tpm2_pcrread` process, the floor for any operation done through tpm2-tools (every operation is several
// such processes, with flushes between them because swtpm has no resource manager).
//
//   node bench/tpm-ops.ts [--runs 25]
//
// Writes bench/out/tpm-ops.json. swtpm timings are not a real TPM's: a discrete TPM does ECDH in 20-60 ms.
import { execFile } from "node:child_process";
import { createECDH, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs, promisify } from "node:util";
import { parsePcrSelectionText } from "@edgeward/core";
import { startSwtpm } from "@edgeward/testkit";
import { createTpmDecryptionKey, Tpm2ToolsDevice } from "@edgeward/tpm";
import { median } from "./lib/measure.ts";

const run = promisify(execFile);
const { values } = parseArgs({ options: { runs: { type: "string", default: "25" } } });
const runs = Number(values.runs);

await using tpm = await startSwtpm();
const dev = new Tpm2ToolsDevice({ tcti: tpm.tcti });
// The same device with the unwrap forced through tpm2-tools, for comparison with the direct transport.
const viaTools = new Tpm2ToolsDevice({ tcti: tpm.tcti, native: false });
const env = { ...process.env, ...tpm.env };

async function time(name: string, fn: () => Promise<unknown>): Promise<[string, number]> {
  await fn(); // warm up
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return [name, median(ms)];
}

const pcrs = parsePcrSelectionText("7,14");
const boot = parsePcrSelectionText("0,1,2,3,4,5,6,7");
const { key } = await createTpmDecryptionKey(dev, { pcrs });
const ak = await dev.createAttestationKey();
const sealed = await dev.seal(randomBytes(32), pcrs);
const peer = createECDH("prime256v1");
peer.generateKeys();
const point = peer.getPublicKey();

const rows = Object.fromEntries([
  await time("anchor: one tpm2_pcrread process", () => run("tpm2_pcrread", ["sha256:7"], { env })),
  await time("unwrap (ECDH_ZGen under PolicyPCR)", () => dev.deriveSharedSecret(key, point)),
  await time("unwrap through tpm2-tools processes", () => viaTools.deriveSharedSecret(key, point)),
  await time("quote (PCRs 0-7)", () => dev.quote(ak, boot, randomBytes(32))),
  await time("certify (decryption key by AK)", () => dev.certify(ak, key)),
  await time("extend (PCR 16)", () => dev.pcrExtend(16, randomBytes(32))),
  await time("unseal", () => dev.unseal(sealed)),
  await time("seal", () => dev.seal(randomBytes(32), pcrs)),
  await time("keygen (decryption key)", () => dev.createDecryptionKey(pcrs)),
  await time("create AK", () => dev.createAttestationKey()),
]);
const anchor = rows["anchor: one tpm2_pcrread process"] ?? 1;
const result = {
  bench: "tpm-ops",
  device: "swtpm 0.7 (libtpms) via tpm2-tools 5.4, no resource manager",
  runs,
  medianMs: rows,
  inToolProcesses: Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, v / anchor])),
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
};
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/tpm-ops.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
for (const [k, v] of Object.entries(rows))
  console.log(`${k.padEnd(38)} median ${v.toFixed(1).padStart(7)} ms  (${(v / anchor).toFixed(1)}x one tool process)`);
console.log(`peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
