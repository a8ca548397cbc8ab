/**
 * The version-floor counter (TPM_NT_COUNTER, Part 1 §37.2.4) over a direct transport: the same three operations,
 * values and error codes as tools/nv.ts, in one to three round trips on one connection instead of one to three
 * tpm2-tools processes. The agent checks the floor on every update and raises it after every install.
 */
import { EdgewardError, TpmReader, TpmWriter, TPM_RH } from "@edgeward/core";
import { TpmToolError } from "../tools/exec.ts";
import { checkCounterIndex } from "../tools/nv.ts";
import { RC } from "../tools/rc.ts";
import { CC, passwordAuth, TpmCommands } from "./commands.ts";
import { openTransport } from "./transport.ts";

const NV_UNDEFINED = { [RC.HANDLE]: "EW_ERR_TPM_NV_UNDEFINED" } as const;

/**
 * TPMA_NV (Part 2 §13.4) of `nt=counter|ownerwrite|ownerread|no_da`: OWNERWRITE (bit 1), TPM_NT_COUNTER in bits 7:4,
 * OWNERREAD (bit 17), NO_DA (bit 25).
 */
export const NV_COUNTER_ATTRIBUTES = (1 << 1) | (0x1 << 4) | (1 << 17) | (1 << 25);

/** counterDefine: defines the counter if absent, initialises it, returns its value. */
export function nativeCounterDefine(tcti: string, index: number): Promise<bigint> {
  checkCounterIndex(index);
  return onConnection(tcti, async (tpm) => {
    try {
      await defineSpace(tpm, index);
    } catch (err) {
      // Already defined is fine: defining is idempotent. Anything else is a real failure.
      if (!(err instanceof TpmToolError && err.rcBase === RC.NV_DEFINED)) throw err;
    }
    // A counter reads TPM_RC_NV_UNINITIALIZED until its first increment (Part 3 §31.8).
    const value = await tryRead(tpm, index);
    if (value !== undefined) return value;
    await increment(tpm, index);
    return readCounterOn(tpm, index);
  });
}

/** counterIncrement: increments and returns the new value. */
export function nativeCounterIncrement(tcti: string, index: number): Promise<bigint> {
  checkCounterIndex(index);
  return onConnection(tcti, async (tpm) => {
    await increment(tpm, index);
    return readCounterOn(tpm, index);
  });
}

/** counterRead: the value; EW_ERR_TPM_NV_UNDEFINED when it does not exist or was never initialised. */
export function nativeCounterRead(tcti: string, index: number): Promise<bigint> {
  checkCounterIndex(index);
  return onConnection(tcti, (tpm) => readCounterOn(tpm, index));
}

async function onConnection<T>(tcti: string, fn: (tpm: TpmCommands) => Promise<T>): Promise<T> {
  const transport = await openTransport(tcti);
  try {
    // NV commands create no transient object or session, so there is nothing to flush.
    return await fn(new TpmCommands(transport));
  } finally {
    await transport.close();
  }
}

/**
 * TPM2_NV_DefineSpace (Part 3 §31.3) with owner authorization: an empty auth value and the TPM2B_NV_PUBLIC
 * `tpm2_nvdefine -C o -s 8 -a 'nt=counter|ownerwrite|ownerread|no_da'` sends (Part 2 §13.5 TPMS_NV_PUBLIC:
 * nameAlg SHA-256, no policy, dataSize 8).
 */
async function defineSpace(tpm: TpmCommands, index: number): Promise<void> {
  const nvPublic = new TpmWriter()
    .u32(index)
    .u16(0x000b) // nameAlg SHA-256
    .u32(NV_COUNTER_ATTRIBUTES)
    .tpm2b(new Uint8Array(0)) // authPolicy
    .u16(8) // dataSize: a counter is 8 bytes (Part 2 §13.4)
    .finish();
  const params = new TpmWriter().tpm2b(new Uint8Array(0)).tpm2b(nvPublic).finish();
  await tpm.call(CC.NV_DefineSpace, [TPM_RH.OWNER], passwordAuth(), params);
}

/** TPM2_NV_Increment (Part 3 §31.8) authorised by the owner (TPMA_NV_OWNERWRITE). */
async function increment(tpm: TpmCommands, index: number): Promise<void> {
  await tpm.call(CC.NV_Increment, [TPM_RH.OWNER, index], passwordAuth(), new Uint8Array(0), NV_UNDEFINED);
}

/** counterRead on an open connection (the tests replay recorded TPM answers through it). */
export async function readCounterOn(tpm: TpmCommands, index: number): Promise<bigint> {
  const v = await tryRead(tpm, index);
  if (v === undefined)
    throw new EdgewardError("EW_ERR_TPM_NV_UNDEFINED", { detail: `0x${index.toString(16)} never incremented` });
  return v;
}

/**
 * TPM2_NV_Read (Part 3 §31.13) of all 8 bytes, authorised by the owner (TPMA_NV_OWNERREAD); undefined while the
 * counter is uninitialised (TPM_RC_NV_UNINITIALIZED). The value is big-endian (Part 2 §13.4: UINT64 on the wire).
 */
async function tryRead(tpm: TpmCommands, index: number): Promise<bigint | undefined> {
  let params: Uint8Array;
  try {
    const r = await tpm.call(
      CC.NV_Read,
      [TPM_RH.OWNER, index],
      passwordAuth(),
      new TpmWriter().u16(8).u16(0).finish(), // size, offset
      NV_UNDEFINED,
    );
    params = r.params;
  } catch (err) {
    if (err instanceof TpmToolError && err.rcBase === RC.NV_UNINITIALIZED) return undefined;
    throw err;
  }
  const rd = new TpmReader(params, "TPM2B_MAX_NV_BUFFER");
  const data = rd.tpm2b(0xffff, "data");
  rd.end();
  if (data.length !== 8) throw new EdgewardError("EW_ERR_TPM_PARSE", { detail: `counter of ${data.length} bytes` });
  return new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0);
}
