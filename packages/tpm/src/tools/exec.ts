/**
 * Runs one tpm2-tools program with execFile (never a shell: arguments are never parsed by one), the TCTI in its
 * environment, and turns every failure into a typed EdgewardError.
 */
import { execFile } from "node:child_process";
import { EdgewardError, type EdgewardErrorOptions, type ErrorCode } from "@edgeward/core";
import { codeForRc, decodeRc, rcFromStderr } from "./rc.ts";

/**
 * A tool failure with the TPM's response code kept, for the few places the driver branches on it (an NV index
 * already defined, a counter not yet initialised). Everyone else sees an ordinary EdgewardError.
 */
export class TpmToolError extends EdgewardError {
  /** The TPM_RC base code (see decodeRc), when the TPM answered. */
  readonly rcBase: number | undefined;

  constructor(code: ErrorCode, rcBase: number | undefined, options: EdgewardErrorOptions) {
    super(code, options);
    this.rcBase = rcBase;
  }
}

/** How to reach the TPM and where the tools run. */
export interface ToolContext {
  /** `TPM2TOOLS_TCTI` value (`device:/dev/tpmrm0`, `swtpm:path=…`). */
  readonly tcti: string;
  /** Working directory for the run's context files. */
  readonly cwd: string;
  /** Per-tool timeout in ms. */
  readonly timeoutMs: number;
}

/** Options for one run. */
export interface RunOptions {
  /** What a TPM base response code means for this operation (see codeForRc). */
  readonly overrides?: Readonly<Record<number, ErrorCode>>;
}

/** The result of a successful run. */
export interface ToolResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tool args…`; resolves on exit status 0, rejects with a typed EdgewardError otherwise. */
export function runTool(
  ctx: ToolContext,
  tool: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(
      tool,
      [...args],
      {
        cwd: ctx.cwd,
        env: { ...process.env, TPM2TOOLS_TCTI: ctx.tcti },
        timeout: ctx.timeoutMs,
        maxBuffer: 16 << 20,
        encoding: "utf8",
      },
      (err, stdout, stderr) => {
        if (err === null) return resolve({ stdout, stderr });
        reject(toError(tool, err, stderr, options));
      },
    );
  });
}

/** Classifies a failed run: missing tools, no TPM, a busy device, or a TPM response code. */
export function toError(
  tool: string,
  err: Omit<NodeJS.ErrnoException, "code"> & {
    code?: string | number | null | undefined;
    killed?: boolean | undefined;
  },
  stderr: string,
  options: RunOptions = {},
): TpmToolError {
  const detail = `${tool}: ${lastLine(stderr) || err.message}`;
  if (err.code === "ENOENT")
    return new TpmToolError("EW_ERR_TPM_TOOLS_MISSING", undefined, { detail: tool, cause: err });
  if (err.killed === true)
    return new TpmToolError("EW_ERR_TPM_BUSY", undefined, { detail: `${tool} timed out`, cause: err });
  if (/Device or resource busy|EBUSY/i.test(stderr))
    return new TpmToolError("EW_ERR_TPM_BUSY", undefined, { detail, cause: err });
  const rc = rcFromStderr(stderr);
  if (rc !== undefined) {
    const decoded = decodeRc(rc);
    const hex = `0x${rc.toString(16).padStart(3, "0")}`;
    const code = codeForRc(decoded, options.overrides);
    return new TpmToolError(code, decoded.layer === 0 ? decoded.base : undefined, {
      detail: `${detail} (TPM_RC ${hex})`,
      cause: err,
    });
  }
  if (
    /Could not load tcti|Failed to instantiate TCTI|Cannot connect|Failed to open specified TCTI device/i.test(stderr)
  )
    return new TpmToolError("EW_ERR_TPM_UNAVAILABLE", undefined, { detail, cause: err });
  return new TpmToolError("EW_ERR_TPM_COMMAND", undefined, { detail, cause: err });
}

function lastLine(text: string): string {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("ERROR"));
  return lines.at(-1) ?? text.trim().split("\n").at(-1) ?? "";
}
