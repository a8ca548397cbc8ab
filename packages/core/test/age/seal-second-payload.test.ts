// A second payload under a release's file key (docs/releases.md, "A guard in a release"), checked with the
// reference age CLI as the second implementation: header + file payload and header + second payload are each an
// age file that `age -d -i KEY` opens.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { parseIdentities } from "../../src/age/identities.ts";
import { openToMemory } from "../../src/age/open.ts";
import { parseRecipient } from "../../src/age/recipients.ts";
import { sealFileWithSecondPayload } from "../../src/age/seal-second-payload.ts";

const run = promisify(execFile);

async function ageDecrypt(file: string, identityFile: string): Promise<Buffer> {
  const { stdout } = await run("age", ["-d", "-i", identityFile, file], { encoding: "buffer", maxBuffer: 1 << 26 });
  return stdout;
}

describe("sealFileWithSecondPayload", () => {
  for (const [modelSize, secondSize] of [
    [200_017, 70_000],
    [0, 1],
    [65_536, 0],
  ] as const) {
    it(`one header opens both payloads with the age CLI (model ${modelSize} B, second ${secondSize} B)`, async () => {
      using dir = tempDir();
      const keyFile = join(dir.path, "key.txt");
      await run("age-keygen", ["-o", keyFile]);
      const keyText = await readFile(keyFile, "utf8");
      const recipient = /# public key: (age1\S+)/.exec(keyText)?.[1] ?? "";
      const model = randomBytes(modelSize);
      const second = randomBytes(secondSize);
      await writeFile(join(dir.path, "model.bin"), model);
      const input = await open(join(dir.path, "model.bin"), "r");
      const output = await open(join(dir.path, "model.age"), "wx");
      let result;
      try {
        result = await sealFileWithSecondPayload(input, output, [parseRecipient(recipient)], second, {
          parallelism: 1,
        });
      } finally {
        await Promise.all([input.close(), output.close()]);
      }
      const sealed = await readFile(join(dir.path, "model.age"));
      assert.equal(sealed.length, result.headerSize + result.payloadSize);
      assert.equal(result.plaintextSize, modelSize);
      const header = sealed.subarray(0, result.headerSize);
      const modelPayload = sealed.subarray(result.headerSize);
      // Two payloads, two nonces: the payload keys differ (c2sp.org/age §Payload).
      assert.notDeepEqual(result.secondPayload.subarray(0, 16), modelPayload.subarray(0, 16));

      await writeFile(join(dir.path, "guard.age"), Buffer.concat([header, result.secondPayload]));
      assert.ok((await ageDecrypt(join(dir.path, "model.age"), keyFile)).equals(model));
      assert.ok((await ageDecrypt(join(dir.path, "guard.age"), keyFile)).equals(second));
      const identities = parseIdentities(keyText);
      const opened = await openToMemory(Buffer.concat([header, result.secondPayload]), identities);
      assert.ok(Buffer.from(opened).equals(second));
    });
  }

  it("a changed byte in the second payload is refused by age and by openToMemory (EW_ERR_AGE_PAYLOAD_AUTH)", async () => {
    using dir = tempDir();
    const keyFile = join(dir.path, "key.txt");
    await run("age-keygen", ["-o", keyFile]);
    const keyText = await readFile(keyFile, "utf8");
    const [identity] = parseIdentities(keyText);
    await writeFile(join(dir.path, "model.bin"), randomBytes(1000));
    const input = await open(join(dir.path, "model.bin"), "r");
    const output = await open(join(dir.path, "model.age"), "wx");
    let result;
    try {
      result = await sealFileWithSecondPayload(
        input,
        output,
        [parseRecipient(identity?.recipient ?? "")],
        randomBytes(5000),
      );
    } finally {
      await Promise.all([input.close(), output.close()]);
    }
    const header = (await readFile(join(dir.path, "model.age"))).subarray(0, result.headerSize);
    const tampered = Buffer.concat([header, result.secondPayload]);
    tampered[tampered.length - 20] = (tampered[tampered.length - 20] ?? 0) ^ 1;
    await writeFile(join(dir.path, "guard.age"), tampered);
    await assert.rejects(ageDecrypt(join(dir.path, "guard.age"), keyFile));
    await rejectsWithCode(openToMemory(tampered, identity === undefined ? [] : [identity]), "EW_ERR_AGE_PAYLOAD_AUTH");
  });
});
