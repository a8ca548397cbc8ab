// Benchmark: in-process TPM quote verification (target: at least 5,000 quotes/s on one core, and at least 50x the
// throughput of a verifier that runs `tpm2_checkquote` per quote). The quotes are the recorded swtpm evidence in
// packages/testkit/fixtures/tpm-evidence (ECDSA P-256 and RSASSA-2048 AKs), verified in full per quote: the PCR values
// file parsed, the AK signature, nonce, PCR digest and signer name checked. The anchor, measured in the same run:
// `tpm2_checkquote` on the same three files, one process per quote, as a shelling-out verifier does it.
//
//   node bench/tpm-quote-verify.ts [--seconds 3] [--anchor-runs 40]
//
// Writes bench/out/tpm-quote-verify.json.
import { execFile } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { parsePcrValuesFile, parseSignature, verifyQuote, verifyTpmSignature } from "@edgeward/core";
import { TPM_EVIDENCE_FIXTURES } from "@edgeward/testkit";
import { median } from "./lib/measure.ts";

const run = promisify(execFile);
const { values } = parseArgs({
  options: { seconds: { type: "string", default: "3" }, "anchor-runs": { type: "string", default: "40" } },
});
const seconds = Number(values.seconds);
const anchorRuns = Number(values["anchor-runs"]);
const FIXTURES = TPM_EVIDENCE_FIXTURES;

interface Row {
  readonly ak: string;
  /** Quotes per second of wall time, and per second of this thread's CPU time (robust on a shared machine). */
  readonly inProcessPerSec: number;
  readonly inProcessPerCpuSec: number;
  /** The floor: node:crypto verifying the same signature over the same bytes, nothing else. */
  readonly bareSignaturePerCpuSec: number;
  readonly inProcessPemPerQuotePerSec: number;
  readonly checkquotePerSec: number;
  readonly checkquoteMedianMs: number;
  readonly ratio: number;
}

const rows: Row[] = [];
for (const dir of ["ecdsa", "rsassa"]) {
  const f = (name: string): string => join(FIXTURES, dir, name);
  const meta = JSON.parse(readFileSync(f("meta.json"), "utf8")) as { nonce: string; qualifiedSigner: string };
  const message = readFileSync(f("quote.msg"));
  const signature = readFileSync(f("quote.sig"));
  const pcrsFile = readFileSync(f("quote.pcrs"));
  const pem = readFileSync(f("ak.pem"), "utf8");
  const nonce = Buffer.from(meta.nonce, "hex");
  const expectedSigner = Buffer.from(meta.qualifiedSigner, "hex");
  const akPublicKey = createPublicKey(pem);

  const verifyOnce = (key = akPublicKey): void => {
    const pcrValues = parsePcrValuesFile(pcrsFile).values;
    verifyQuote({ message, signature, akPublicKey: key, nonce, pcrValues, expectedSigner });
  };
  const rate = (fn: () => void): { wall: number; cpu: number } => {
    for (let i = 0; i < 200; i++) fn(); // warm up
    let n = 0;
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const end = start + seconds * 1000;
    while (performance.now() < end) {
      for (let i = 0; i < 50; i++) fn();
      n += 50;
    }
    const cpu = process.cpuUsage(cpu0);
    return { wall: n / ((performance.now() - start) / 1000), cpu: n / ((cpu.user + cpu.system) / 1e6) };
  };
  const inProcess = rate(() => verifyOnce());
  // A verifier that keeps no key cache parses the AK's PEM for every quote.
  const pemPerQuote = rate(() => verifyOnce(createPublicKey(pem)));
  const parsed = parseSignature(signature);
  const bare = rate(() => void verifyTpmSignature(parsed, message, akPublicKey));

  const times: number[] = [];
  const anchorStart = performance.now();
  for (let i = 0; i < anchorRuns; i++) {
    const t = performance.now();
    await run("tpm2_checkquote", [
      ...["-u", f("ak.pem"), "-m", f("quote.msg"), "-s", f("quote.sig"), "-f", f("quote.pcrs")],
      ...["-g", "sha256", "-q", meta.nonce],
    ]);
    times.push(performance.now() - t);
  }
  const checkquotePerSec = anchorRuns / ((performance.now() - anchorStart) / 1000);
  rows.push({
    ak: dir === "ecdsa" ? "ECDSA P-256" : "RSASSA 2048",
    inProcessPerSec: inProcess.wall,
    inProcessPerCpuSec: inProcess.cpu,
    bareSignaturePerCpuSec: bare.cpu,
    inProcessPemPerQuotePerSec: pemPerQuote.cpu,
    checkquotePerSec,
    checkquoteMedianMs: median(times),
    ratio: inProcess.wall / checkquotePerSec,
  });
}

const result = {
  bench: "tpm-quote-verify",
  node: process.version,
  targets: { quotesPerSec: 5000, ratioVsCheckquote: 50 },
  rows,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
};
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/tpm-quote-verify.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
for (const r of rows)
  console.log(
    `${r.ak}: in-process ${r.inProcessPerSec.toFixed(0)} quotes/s wall, ${r.inProcessPerCpuSec.toFixed(0)} per CPU-second ` +
      `(target >= 5000; the bare signature check alone ${r.bareSignaturePerCpuSec.toFixed(0)}/CPU-s, so the rest costs ` +
      `${(100 * (1 - r.inProcessPerCpuSec / r.bareSignaturePerCpuSec)).toFixed(0)}%; ${r.inProcessPemPerQuotePerSec.toFixed(0)}/CPU-s ` +
      `parsing the AK PEM per quote); tpm2_checkquote ${r.checkquotePerSec.toFixed(1)} quotes/s ` +
      `(median ${r.checkquoteMedianMs.toFixed(1)} ms); ratio ${r.ratio.toFixed(0)}x (target >= 50x)`,
  );
console.log(`peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
