import { extname } from "node:path";
import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { openSealedModelFile, readSmallFile } from "@edgeward/io";
import { infer, loadModel, parseJsonInputs, parseNpy, type TensorData } from "@edgeward/runtime";
import { collect, loadIdentities } from "../support/keys.ts";
import { printJson, printLines } from "../support/output.ts";

interface RunOptions {
  identity?: string[];
  verify?: string;
  sig?: string;
  name?: string;
  input: string;
  json?: boolean;
}

/**
 * `edgeward run`: open a sealed model into memory, verify it, load it into ONNX Runtime from memory and run
 * one inference. The plaintext model never touches disk.
 */
export function registerRun(program: Command): void {
  program
    .command("run")
    .description("open a sealed model into memory (never to disk), verify it, and run one inference with ONNX Runtime")
    .argument("<sealed>", "the sealed (age) model")
    .option("-i, --identity <file>", "identity file or TPM key file (repeatable)", collect)
    .option("--verify <pub>", "publisher public key: check the OMS signature before loading")
    .option("--sig <file>", "the OMS signature (default: SEALED.sig)")
    .option("--name <name>", "with --verify: the model name the signature must carry")
    .requiredOption(
      "--input <file>",
      "input tensor: a .npy file (bound to the model's first input; NAME=FILE.npy for another) or a .json file " +
        '{"name": {"type": "float32", "dims": [...], "data": [...]}}',
    )
    .option("--json", "print timings and output summaries as JSON")
    .action(async (sealed: string, opts: RunOptions) => {
      const identities = await loadIdentities(opts.identity ?? []);
      if (opts.verify === undefined && (opts.sig !== undefined || opts.name !== undefined))
        throw new EdgewardError("EW_ERR_USAGE", { detail: "--sig and --name need --verify KEY" });
      const inputs = await readInputs(opts.input);
      const opened = await openSealedModelFile(
        sealed,
        identities,
        opts.verify === undefined
          ? undefined
          : {
              publicKeyPath: opts.verify,
              sigPath: opts.sig ?? `${sealed}.sig`,
              ...(opts.name === undefined ? {} : { name: opts.name }),
            },
      );
      const t0 = performance.now();
      const session = await loadModel(opened.plaintext);
      opened.plaintext.fill(0); // ONNX Runtime holds its own copy; drop ours at once.
      const t1 = performance.now();
      const outputs = await infer(session, inputs);
      const t2 = performance.now();
      await session.release();
      const report = {
        model: sealed,
        verified: opened.verification !== undefined,
        name: opened.verification?.name ?? null,
        digest: opened.verification?.digest ?? null,
        hardwareBacked: identities.some((i) => i.hardwareBacked),
        plaintextWrittenToDisk: false,
        timingsMs: { open: opened.openMs, load: t1 - t0, infer: t2 - t1 },
        outputs,
      };
      if (opts.json) return printJson(report);
      printLines(
        `Model ${sealed}: opened in memory${opened.verification ? ", signature verified" : " (signature NOT checked)"}`,
        ...(opened.verification === undefined
          ? []
          : [`Signed model ${opened.verification.name} sha256:${opened.verification.digest}`]),
        `open ${fmt(opened.openMs)}  load ${fmt(t1 - t0)}  infer ${fmt(t2 - t1)}`,
        ...Object.entries(outputs).map(
          ([name, o]) => `output ${name} ${o.type}[${o.dims.join("x")}] min ${o.min} max ${o.max} sha256 ${o.sha256}`,
        ),
      );
    });
}

async function readInputs(spec: string): Promise<Map<string, TensorData>> {
  const eq = spec.indexOf("=");
  const [name, path] = eq > 0 && !spec.startsWith("/") ? [spec.slice(0, eq), spec.slice(eq + 1)] : ["", spec];
  const bytes = await readSmallFile(path, "input");
  if (extname(path).toLowerCase() === ".json") return parseJsonInputs(bytes.toString("utf8"));
  return new Map([[name, parseNpy(bytes)]]);
}

function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}
