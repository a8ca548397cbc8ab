// Payloads kept apart from their header (a release's device header beside its ciphertext files), checked against
// the reference age CLI as the second implementation: `age -e` makes the file, which is cut after its header's MAC
// line; sealFileWithSecondPayload (itself checked with `age -d`) makes a second payload under the same file key.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { parseHeader } from "../../src/age/header.ts";
import { generateIdentity, parseIdentities } from "../../src/age/identities.ts";
import { openDetachedToMemory } from "../../src/age/open-detached.ts";
import { parseRecipient } from "../../src/age/recipients.ts";
import { sealFileWithSecondPayload } from "../../src/age/seal-second-payload.ts";
import type { AgeIdentity } from "../../src/age/types.ts";

const run = promisify(execFile);
const MIB = 1 << 20;

/** An age key made by age-keygen: its identities, recipient and file. */
async function ageKey(dir: string): Promise<{ identities: AgeIdentity[]; recipient: string; file: string }> {
  const file = join(dir, "key.txt");
  await run("age-keygen", ["-o", file]);
  const text = await readFile(file, "utf8");
  return { identities: parseIdentities(text), recipient: /# public key: (age1\S+)/.exec(text)?.[1] ?? "", file };
}

/** `age -e` of `plaintext`, cut into its header and its payload, each in its own file. */
async function ageFileCut(dir: string, recipient: string, plaintext: Uint8Array): Promise<{ header: Buffer }> {
  await writeFile(join(dir, "plain.bin"), plaintext);
  await run("age", ["-e", "-r", recipient, "-o", join(dir, "file.age"), join(dir, "plain.bin")]);
  const file = await readFile(join(dir, "file.age"));
  const { payloadOffset } = parseHeader(file);
  await writeFile(join(dir, "payload.age"), file.subarray(payloadOffset));
  return { header: file.subarray(0, payloadOffset) };
}

/** An identity that counts its unwraps. */
function counting(inner: AgeIdentity): AgeIdentity & { calls: number } {
  const c = {
    calls: 0,
    description: inner.description,
    hardwareBacked: inner.hardwareBacked,
    unwrapFileKey: (stanzas: Parameters<AgeIdentity["unwrapFileKey"]>[0]) => {
      c.calls++;
      return inner.unwrapFileKey(stanzas);
    },
  };
  return c;
}

describe("openDetachedToMemory", () => {
  for (const parallelism of [1, 2]) {
    it(`opens an age CLI file's payload apart from its header, with shard digests (parallelism ${parallelism})`, async () => {
      using dir = tempDir();
      const key = await ageKey(dir.path);
      const plaintext = randomBytes(3 * MIB + 17);
      const { header } = await ageFileCut(dir.path, key.recipient, plaintext);
      const input = await open(join(dir.path, "payload.age"), "r");
      try {
        const [opened] = await openDetachedToMemory(header, key.identities, [{ input, shardSize: MIB, parallelism }]);
        assert.ok(opened !== undefined);
        assert.ok(Buffer.from(opened.plaintext).equals(plaintext));
        assert.ok(!(opened.plaintext.buffer instanceof SharedArrayBuffer), "a regular buffer ONNX Runtime loads");
        const expected = [0, 1, 2, 3].map((i) =>
          createHash("sha256")
            .update(plaintext.subarray(i * MIB, (i + 1) * MIB))
            .digest("hex"),
        );
        assert.deepEqual(
          opened.shardDigests?.map((d) => d.toString("hex")),
          expected,
        );
      } finally {
        await input.close();
      }
    });
  }

  it("opens a second payload under the same header with one unwrap of the file key", async () => {
    using dir = tempDir();
    const key = await ageKey(dir.path);
    const model = randomBytes(200_017);
    const second = randomBytes(70_000);
    await writeFile(join(dir.path, "model.bin"), model);
    const input = await open(join(dir.path, "model.bin"), "r");
    const output = await open(join(dir.path, "model.age"), "wx");
    let result;
    try {
      result = await sealFileWithSecondPayload(input, output, [parseRecipient(key.recipient)], second, {
        parallelism: 1,
      });
    } finally {
      await Promise.all([input.close(), output.close()]);
    }
    const sealed = await readFile(join(dir.path, "model.age"));
    await writeFile(join(dir.path, "payload.age"), sealed.subarray(result.headerSize));
    await writeFile(join(dir.path, "second.age"), result.secondPayload);
    const identity = counting(key.identities[0] as AgeIdentity);
    const payload = await open(join(dir.path, "payload.age"), "r");
    const guard = await open(join(dir.path, "second.age"), "r");
    try {
      const [a, b] = await openDetachedToMemory(
        sealed.subarray(0, result.headerSize),
        [identity],
        [{ input: payload }, { input: guard }],
      );
      assert.ok(a !== undefined && b !== undefined);
      assert.ok(Buffer.from(a.plaintext).equals(model));
      assert.ok(Buffer.from(b.plaintext).equals(second));
      assert.equal(identity.calls, 1);
    } finally {
      await Promise.all([payload.close(), guard.close()]);
    }
  });

  it("refuses a header with bytes after its MAC line, another's identity, and a damaged second payload", async () => {
    using dir = tempDir();
    const key = await ageKey(dir.path);
    const { header } = await ageFileCut(dir.path, key.recipient, randomBytes(100_000));
    const payload = await open(join(dir.path, "payload.age"), "r");
    const copy = Buffer.from(await readFile(join(dir.path, "payload.age")));
    copy[copy.length - 3] = (copy[copy.length - 3] ?? 0) ^ 1;
    await writeFile(join(dir.path, "damaged.age"), copy);
    const damaged = await open(join(dir.path, "damaged.age"), "r");
    try {
      await rejectsWithCode(
        openDetachedToMemory(Buffer.concat([header, Buffer.from("x")]), key.identities, [{ input: payload }]),
        "EW_ERR_AGE_HEADER_MAC_LINE",
      );
      const stranger = parseIdentities(generateIdentity("x25519").identityText);
      await rejectsWithCode(openDetachedToMemory(header, stranger, [{ input: payload }]), "EW_ERR_AGE_NO_IDENTITY");
      await rejectsWithCode(
        openDetachedToMemory(header, key.identities, [{ input: payload }, { input: damaged }]),
        "EW_ERR_AGE_PAYLOAD_AUTH",
      );
    } finally {
      await Promise.all([payload.close(), damaged.close()]);
    }
  });
});
