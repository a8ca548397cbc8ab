/**
 * TPM2_ECDH_ZGen with the PCR-bound decryption key over a direct transport: CreatePrimary (H-2), Load,
 * StartAuthSession, PolicyPCR, ECDH_ZGen, and the flushes a TPM without a resource manager needs — on one
 * connection, with no process started.
 */
import type { WrappedObject } from "../device.ts";
import { h2Template, TpmCommands } from "./commands.ts";
import { openTransport } from "./transport.ts";

/** The X coordinate of d·peer for the wrapped key, or a typed error (EW_ERR_TPM_POLICY, _FOREIGN_KEY, …). */
export async function nativeEcdh(tcti: string, key: WrappedObject, peer: Uint8Array): Promise<Uint8Array> {
  const transport = await openTransport(tcti);
  const tpm = new TpmCommands(transport);
  const handles: number[] = [];
  try {
    const srk = await tpm.createPrimary(h2Template());
    handles.push(srk);
    const obj = await tpm.load(srk, key.private, key.public);
    handles.push(obj);
    await tpm.flush(srk);
    handles.shift();
    const session = await tpm.startPolicySession();
    handles.push(session);
    await tpm.policyPcr(session, key.pcrs);
    return await tpm.ecdhZGen(obj, session, peer);
  } finally {
    for (const h of handles.reverse()) await tpm.flush(h);
    await transport.close();
  }
}
