/**
 * Promise 10: tamper-evident audit log. The agent's log verifies end to end against its verifier key (every
 * stored checkpoint's signature, the tree recomputed from the entries: @edgeward/tlog `auditLog`), and its latest
 * checkpoint was accepted by the hub, which checks consistency with what it saw before (C2SP tlog-checkpoint).
 */
import { isEdgewardError } from "@edgeward/core";
import type { AuditContext, Verdict } from "./check.ts";

/** Audit log verifies and its latest checkpoint was accepted by the hub. */
export async function auditLog(ctx: AuditContext): Promise<Verdict> {
  const l = ctx.state?.log;
  if (l === undefined || ctx.stateDir === undefined)
    return { status: "fail", evidence: ["audit log: none in state.json (log.db, log.vkey)"] };
  const db = ctx.stateDir.path(`/${l.db}`);
  if (!(await ctx.stateDir.exists(`/${l.db}`))) return { status: "fail", evidence: [`audit log ${db}: missing`] };
  // Loaded only here: the log's store pulls in the SQLite and PostgreSQL drivers.
  const { auditLog } = await import("@edgeward/tlog");
  const { openStore } = await import("@edgeward/tlog/open");
  const evidence: string[] = [];
  let treeSize = 0;
  try {
    const store = await openStore({ db, sqlite: { readOnly: true } });
    try {
      const report = await auditLog(store, { vkey: l.vkey });
      treeSize = report.treeSize;
      evidence.push(`audit log ${db}: ${report.entries} entries, ${report.checkpoints} checkpoints`);
      if (report.problem !== undefined)
        return {
          status: "fail",
          evidence: [...evidence, `does not verify: ${report.problem.code} ${report.problem.detail}`],
        };
    } finally {
      await store.close().catch(() => undefined);
    }
  } catch (err) {
    return {
      status: "fail",
      evidence: [`audit log ${db}: cannot be read (${isEdgewardError(err) ? err.code : "error"})`],
    };
  }
  const cp = l.checkpoint;
  if (cp === undefined || !cp.acceptedByHub)
    return { status: "fail", evidence: [...evidence, "latest checkpoint: not accepted by the hub yet"] };
  evidence.push(`hub accepted the checkpoint at size ${cp.size}${cp.at ? ` on ${cp.at}` : ""}`);
  if (cp.size > treeSize)
    return {
      status: "fail",
      evidence: [...evidence, `the hub saw size ${cp.size} but the log has ${treeSize}: history was cut`],
    };
  return { status: "pass", evidence };
}
