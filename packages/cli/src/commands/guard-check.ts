import type { Command } from "commander";
import { createGuard, loadGuard, type CheckResult, type GuardInput } from "@edgeward/guard";
import { readSmallFile } from "@edgeward/io";
import { parseNpy } from "@edgeward/runtime";
import { printJson, printLines } from "../support/output.ts";

interface CheckOptions {
  guard: string;
  model?: string;
  second?: string;
  fallback?: string;
  expectDigest?: string;
  client?: string;
  json?: boolean;
}

/** NumPy's `.npy` magic (numpy.org NEP 1): "\x93NUMPY". */
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/**
 * `edgeward guard check`: run the guard file's pipeline on image files or `.npy` tensors and print each decision
 * with reasons. A `.npy` file that does not parse fails with EW_ERR_INPUT_FORMAT; one of the wrong dtype or shape
 * is rejected by the input contract with EW_ERR_GUARD_INPUT, as the agent rejects such a tensor.
 */
export function registerGuardCheck(guard: Command): void {
  guard
    .command("check")
    .description("check images against a guard file: decision (accept, review, fallback, reject), label and reasons")
    .argument("<input...>", "image files (PNG, JPEG, WebP, GIF, TIFF) or .npy float32 tensors [1, C, H, W]")
    .requiredOption("--guard <guard.yaml>", "the guard file")
    .option("--model <onnx>", "the primary model (default: the one the guard file names; its digest must match)")
    .option("--second <onnx>", "the second model (default: the guard file's)")
    .option("--fallback <onnx>", "the fallback model (default: the guard file's)")
    .option("--expect-digest <sha256>", "refuse the guard file unless it has this digest (the release's)")
    .option("--client <id>", "treat every input as coming from this one client (query-attack detection)")
    .option("--json", "print one JSON line per input")
    .action(async (inputs: string[], opts: CheckOptions) => {
      const loaded = await loadGuard(opts.guard, {
        ...(opts.expectDigest === undefined ? {} : { expectedDigest: opts.expectDigest }),
        overrides: {
          ...(opts.model === undefined ? {} : { primary: opts.model }),
          ...(opts.second === undefined ? {} : { second: opts.second }),
          ...(opts.fallback === undefined ? {} : { fallback: opts.fallback }),
        },
      });
      try {
        const g = createGuard(loaded.config, loaded.models);
        for (const [i, path] of inputs.entries()) {
          const bytes = await readSmallFile(path, "input");
          const result = await g.check(toInput(bytes), { clientId: opts.client ?? `input-${i}` });
          if (opts.json) printJson({ input: path, ...result });
          else printLines(...describe(path, result));
        }
      } finally {
        await loaded.close();
      }
    });
}

/** A `.npy` file (recognised by its magic, not its name) becomes a tensor input; anything else an image. */
function toInput(bytes: Uint8Array): GuardInput {
  if (!NPY_MAGIC.every((b, i) => bytes[i] === b)) return { kind: "image", bytes };
  const { data, dims } = parseNpy(bytes);
  return { kind: "tensor", data, dims };
}

function describe(path: string, r: CheckResult): string[] {
  const answer =
    r.label === null ? "no answer" : `label ${r.label} (p=${(r.confidence ?? 0).toFixed(3)}, ${r.answeredBy})`;
  return [
    `${path}: ${r.decision.toUpperCase()} — ${answer}`,
    ...r.reasons.map(
      (x) =>
        `  ${x.stage}: ${x.detail}${x.code === undefined ? "" : ` [${x.code}]`}` +
        (x.score === undefined ? "" : ` (${x.score.toPrecision(4)} vs ${x.threshold?.toPrecision(4)})`),
    ),
  ];
}
