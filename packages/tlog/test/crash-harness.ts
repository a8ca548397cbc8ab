// The SIGKILL reliability check shared by crash-sqlite.test.ts and crash-postgres.test.ts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import {
  DurableLog,
  MemoryTree,
  auditLog,
  leafHash,
  openCheckpoint,
  parseVerifierKey,
  verifyConsistency,
  type LogStore,
  type NoteSigner,
} from "@edgeward/tlog";

const APPENDER = fileURLToPath(new URL("./fixtures/appender.ts", import.meta.url));

/** What one killed child printed before it died. */
interface RoundOutput {
  acks: { index: number; sha256: string }[];
  checkpoints: string[];
}

/**
 * Runs `rounds` children that append until killed with SIGKILL at a random moment (sometimes before they are
 * ready), and after each restart checks that every acknowledged entry is stored with its bytes, that the log
 * opens (its storage agrees with its last checkpoint), and that the tree is consistent with every checkpoint any
 * child ever printed. Returns totals for the caller to assert on.
 */
export async function killAndRestart(options: {
  rounds: number;
  location: ["--db" | "--postgres", string];
  keyFile: string;
  signer: NoteSigner;
  store: () => LogStore;
  random: () => number;
}): Promise<{ acked: number; checkpoints: number; size: number }> {
  const vkey = parseVerifierKey(options.signer.vkey);
  const acked = new Map<number, string>();
  const printed: string[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const out = await runAndKill(options, round);
    for (const a of out.acks) {
      const before = acked.get(a.index);
      assert.ok(before === undefined, `index ${a.index} was acknowledged twice (round ${round})`);
      acked.set(a.index, a.sha256);
    }
    printed.push(...out.checkpoints);

    // Restart: the log must open, which runs the start-up check against the last stored checkpoint.
    const log = await DurableLog.open(options.store(), options.signer);
    const head = await log.reader.checkpoint();
    for (const index of acked.keys())
      assert.ok(index < head.size, `acknowledged entry ${index} is past the tree (${head.size})`);
    const stored = await log.store.readEntries(0, head.size);
    for (const e of stored) {
      const want = acked.get(e.index);
      if (want !== undefined)
        assert.equal(createHash("sha256").update(e.data).digest("hex"), want, `entry ${e.index} changed`);
    }
    assert.equal(stored.length, head.size);
    // Every checkpoint ever printed must be a prefix of the stored tree: its root equals the root the stored
    // entries give at its size. Those printed in this round are also checked through a consistency proof served
    // from the stored nodes (RFC 9162 §2.1.4).
    const tree = new MemoryTree();
    for (const e of stored) tree.append(leafHash(e.data));
    for (const [i, note] of printed.entries()) {
      const cp = openCheckpoint(note, vkey);
      assert.ok(cp.size <= head.size, `a printed checkpoint of size ${cp.size} is past the stored tree (${head.size})`);
      assert.deepEqual(
        tree.rootAt(cp.size),
        cp.root,
        `printed checkpoint of size ${cp.size} is not a prefix of the log`,
      );
      if (i < printed.length - out.checkpoints.length || cp.size === 0) continue;
      const proof = await log.reader.consistencyProof(cp.size, head.size);
      verifyConsistency(cp.size, head.size, cp.root, head.root, proof.proof);
    }
    await log.close();
  }
  const report = await auditLog(options.store(), { vkey: options.signer.vkey, external: printed.slice(-3) });
  assert.ok(report.ok, JSON.stringify(report.problem));
  return { acked: acked.size, checkpoints: printed.length, size: report.treeSize };
}

function runAndKill(
  options: { location: [string, string]; keyFile: string; random: () => number },
  round: number,
): Promise<RoundOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [APPENDER, ...options.location, options.keyFile, String(round)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    let stderr = "";
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (): void => void child.kill("SIGKILL");
    // One round in six is killed at a random moment before it is ready (during start-up checks or connect).
    if (options.random() < 1 / 6) killTimer = setTimeout(kill, 50 + options.random() * 300);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      if (killTimer === undefined && text.length === 0 && chunk.startsWith("ready"))
        killTimer = setTimeout(kill, options.random() * 250);
      text += chunk;
    });
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(killTimer);
      if (signal !== "SIGKILL") return reject(new Error(`appender exited with ${code ?? signal}: ${stderr}`));
      // Only complete lines count: a line cut by the kill was never fully printed.
      const lines = text.split("\n").slice(0, -1);
      resolve({
        acks: lines
          .filter((l) => l.startsWith("ack "))
          .map((l) => {
            const [, index, sha256] = l.split(" ") as [string, string, string];
            return { index: Number(index), sha256 };
          }),
        checkpoints: lines.filter((l) => l.startsWith("cp ")).map((l) => Buffer.from(l.slice(3), "base64").toString()),
      });
    });
  });
}
