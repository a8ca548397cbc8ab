import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { it } from "node:test";
import { tempDir } from "@edgeward/testkit";
import { generateIdentity } from "../src/age/identities.ts";
import { parseRecipient } from "../src/age/recipients.ts";
import { sealFile } from "../src/age/seal.ts";
import { payloadWorkerCount } from "../src/age/stream/index.ts";
import { hashPool } from "../src/oms/hash-pool.ts";
import { signModel } from "../src/oms/sign.ts";
import { generateSigningKey } from "../src/oms/keys.ts";
import { closeWorkerPools } from "../src/worker-pools.ts";

// A long-running process (the hub, the agent) stops every thread core started with one call on shutdown.
it("closeWorkerPools stops the payload and hashing workers, and both pools start again on next use", async () => {
  using dir = tempDir();
  const model = randomBytes(24 * 1024 * 1024); // past the inline limits, so both pools start workers
  writeFileSync(join(dir.path, "m.bin"), model);
  const seal = async () => {
    const input = await open(join(dir.path, "m.bin"), "r");
    const output = await open(join(dir.path, `m-${randomBytes(4).toString("hex")}.age`), "wx");
    try {
      await sealFile(input, output, [parseRecipient(generateIdentity("x25519").recipient)], { parallelism: 2 });
    } finally {
      await Promise.all([input.close(), output.close()]);
    }
  };
  const privateKey = generateSigningKey().privateKeyPem;
  await seal();
  await signModel({ name: "m", privateKey, data: model, shardSize: 1024 * 1024 });
  assert.ok(payloadWorkerCount() > 0, "no payload worker ran");
  assert.ok(hashPool().workerCount > 0, "no hashing worker ran");
  await closeWorkerPools();
  assert.equal(payloadWorkerCount(), 0);
  assert.equal(hashPool().workerCount, 0);
  await seal();
  await signModel({ name: "m", privateKey, data: model, shardSize: 1024 * 1024 });
  await closeWorkerPools();
});
