/**
 * A monotonic NV counter (TPM 2.0 Part 1 §37.2.4, TPM_NT_COUNTER) for version floors: it can only be incremented,
 * survives reboots, and on first use starts above the highest value of any counter deleted from this TPM (Part 3
 * §31.8), so undefining and redefining it cannot lower it.
 */
import { EdgewardError } from "@edgeward/core";
import { TpmToolError } from "./exec.ts";
import { RC } from "./rc.ts";
import type { Workspace } from "./workspace.ts";

const NV_UNDEFINED = { [RC.HANDLE]: "EW_ERR_TPM_NV_UNDEFINED" } as const;

/** Defines the counter (owner-authorised, no dictionary-attack lockout) if absent, initialises it, reads it. */
export async function counterDefine(ws: Workspace, index: number): Promise<bigint> {
  checkCounterIndex(index);
  try {
    await ws.run("tpm2_nvdefine", [hex(index), "-C", "o", "-s", "8", "-a", "nt=counter|ownerwrite|ownerread|no_da"], {
      loads: false,
    });
  } catch (err) {
    // Already defined is fine: defining is idempotent. Anything else is a real failure.
    if (!(err instanceof TpmToolError && err.rcBase === RC.NV_DEFINED)) throw err;
  }
  // A counter reads TPM_RC_NV_UNINITIALIZED until its first increment (Part 3 §31.8).
  const value = await tryRead(ws, index);
  return value ?? counterIncrement(ws, index);
}

/** Increments and returns the new value. */
export async function counterIncrement(ws: Workspace, index: number): Promise<bigint> {
  checkCounterIndex(index);
  await ws.run("tpm2_nvincrement", ["-C", "o", hex(index)], { loads: false, overrides: NV_UNDEFINED });
  return counterRead(ws, index);
}

/** Reads the counter; EW_ERR_TPM_NV_UNDEFINED when it does not exist or was never initialised. */
export async function counterRead(ws: Workspace, index: number): Promise<bigint> {
  const v = await tryRead(ws, index);
  if (v === undefined)
    throw new EdgewardError("EW_ERR_TPM_NV_UNDEFINED", { detail: `${hex(index)} never incremented` });
  return v;
}

async function tryRead(ws: Workspace, index: number): Promise<bigint | undefined> {
  checkCounterIndex(index);
  try {
    await ws.run("tpm2_nvread", ["-C", "o", hex(index), "-s", "8", "-o", "counter.bin"], {
      loads: false,
      overrides: NV_UNDEFINED,
    });
  } catch (err) {
    if (err instanceof TpmToolError && err.rcBase === RC.NV_UNINITIALIZED) return undefined;
    throw err;
  }
  const b = await ws.read("counter.bin");
  if (b.length !== 8) throw new EdgewardError("EW_ERR_TPM_PARSE", { detail: `counter of ${b.length} bytes` });
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
}

/** EW_ERR_USAGE unless `index` is an owner-defined NV index; both the tools and the direct path check it first. */
export function checkCounterIndex(index: number): void {
  // Owner-defined NV indices (TPM_HT_NV_INDEX, 0x01000000-0x01ffffff).
  if (!Number.isInteger(index) || index < 0x01000000 || index > 0x01ffffff)
    throw new EdgewardError("EW_ERR_USAGE", { detail: `NV index 0x${index.toString(16)}` });
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
