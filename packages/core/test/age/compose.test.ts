// Sealing, opening, re-wrapping and inspecting whole age files on top of the payload STREAM engine, for every
// recipient type, through the stream, memory and file paths (c2sp.org/age; ARCHITECTURE.md flows 1 and 4).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { open, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { EdgewardError } from "../../src/errors/index.ts";
import { armorBytes } from "../../src/age/armor.ts";
import { parseHeader } from "../../src/age/header.ts";
import { generateIdentity, parseIdentities } from "../../src/age/identities.ts";
import { inspect } from "../../src/age/inspect.ts";
import { openStream, openToFile, openToMemory } from "../../src/age/open.ts";
import { parseRecipient } from "../../src/age/recipients.ts";
import { rewrap, rewrapFile } from "../../src/age/rewrap.ts";
import { sealFile, sealStream } from "../../src/age/seal.ts";
import type { AgeIdentity, AgeRecipient } from "../../src/age/types.ts";

const CHUNK = 65536;

function keys(type: "x25519" | "pq" | "p256"): { recipient: AgeRecipient; identity: AgeIdentity } {
  const generated = generateIdentity(type);
  const [identity] = parseIdentities(generated.identityText);
  assert.ok(identity !== undefined);
  return { recipient: parseRecipient(generated.recipient), identity };
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

async function seal(plaintext: Uint8Array, recipients: AgeRecipient[]): Promise<Buffer> {
  // Feed the plaintext in uneven pieces, as a network stream would.
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < plaintext.length; i += 40000) pieces.push(plaintext.subarray(i, i + 40000));
  return collect(sealStream(pieces, recipients));
}

describe("seal and open, per recipient type", () => {
  for (const type of ["x25519", "pq", "p256"] as const) {
    it(`${type}: a sealed stream opens to the same bytes on the stream, memory and file paths`, async () => {
      using dir = tempDir();
      const { recipient, identity } = keys(type);
      const plaintext = randomBytes(2 * CHUNK + 1234);
      const sealed = await seal(plaintext, [recipient]);
      assert.deepEqual(await collect(openStream([sealed], [identity])), plaintext);
      assert.deepEqual(Buffer.from(await openToMemory(sealed, [identity])), plaintext);
      const path = join(dir.path, "m.age");
      await writeFile(path, sealed);
      const handle = await open(path, "r");
      try {
        assert.deepEqual(Buffer.from(await openToMemory(handle, [identity])), plaintext);
      } finally {
        await handle.close();
      }
    });
  }

  it("sealFile writes a file that openToFile and openToMemory open, reporting progress", async () => {
    using dir = tempDir();
    const { recipient, identity } = keys("x25519");
    const plaintext = randomBytes(5 * CHUNK + 7);
    await writeFile(join(dir.path, "model.bin"), plaintext);
    const input = await open(join(dir.path, "model.bin"), "r");
    const output = await open(join(dir.path, "model.age"), "w+");
    let last = 0;
    const result = await sealFile(input, output, [recipient], { onProgress: (done) => (last = done) });
    await input.close();
    await output.close();
    assert.equal(last, plaintext.length);
    assert.equal(result.plaintextSize, plaintext.length);
    assert.equal((await stat(join(dir.path, "model.age"))).size, result.headerSize + result.payloadSize);

    const sealed = await open(join(dir.path, "model.age"), "r");
    const out = await open(join(dir.path, "model.out"), "w+");
    try {
      assert.deepEqual(await openToFile(sealed, out, [identity]), { plaintextSize: plaintext.length });
      assert.deepEqual(Buffer.from(await openToMemory(sealed, [identity])), plaintext);
    } finally {
      await sealed.close();
      await out.close();
    }
    assert.deepEqual(await readFile(join(dir.path, "model.out")), plaintext);
  });

  it("an empty plaintext seals and opens", async () => {
    const { recipient, identity } = keys("x25519");
    const sealed = await seal(new Uint8Array(0), [recipient]);
    assert.equal((await openToMemory(sealed, [identity])).length, 0);
  });

  it("a file sealed to several recipients opens with each identity", async () => {
    const a = keys("x25519");
    const b = keys("p256");
    const plaintext = randomBytes(1000);
    const sealed = await seal(plaintext, [a.recipient, b.recipient]);
    assert.deepEqual(Buffer.from(await openToMemory(sealed, [a.identity])), plaintext);
    assert.deepEqual(Buffer.from(await openToMemory(sealed, [b.identity])), plaintext);
  });

  it("refuses no recipients (EW_ERR_AGE_NO_RECIPIENTS) and post-quantum mixed with classical (EW_ERR_AGE_RECIPIENT_MIX)", async () => {
    await rejectsWithCode(seal(randomBytes(10), []), "EW_ERR_AGE_NO_RECIPIENTS");
    await rejectsWithCode(
      seal(randomBytes(10), [keys("pq").recipient, keys("x25519").recipient]),
      "EW_ERR_AGE_RECIPIENT_MIX",
    );
  });

  it("armored input (what age -a writes) opens on every path", async () => {
    using dir = tempDir();
    const { recipient, identity } = keys("x25519");
    const plaintext = randomBytes(CHUNK + 99);
    const armored = Buffer.from(`\n \t\n${armorBytes(await seal(plaintext, [recipient]))}\n  \n`);
    assert.deepEqual(await collect(openStream([armored], [identity])), plaintext);
    assert.deepEqual(Buffer.from(await openToMemory(armored, [identity])), plaintext);
    await writeFile(join(dir.path, "a.age"), armored);
    const handle = await open(join(dir.path, "a.age"), "r");
    try {
      assert.deepEqual(Buffer.from(await openToMemory(handle, [identity])), plaintext);
      assert.equal((await inspect(handle)).armored, true);
    } finally {
      await handle.close();
    }
  });
});

describe("openToMemory with verify", () => {
  const { recipient, identity } = keys("x25519");

  it("passes the plaintext and per-shard SHA-256 digests to verify, then returns the plaintext", async () => {
    const plaintext = randomBytes(3 * CHUNK + 5);
    const sealed = await seal(plaintext, [recipient]);
    let seen: Buffer[] | undefined;
    const got = await openToMemory(sealed, [identity], {
      shardSize: 2 * CHUNK,
      verify: (p, digests) => {
        assert.deepEqual(Buffer.from(p), plaintext);
        seen = digests;
        return Promise.resolve();
      },
    });
    assert.deepEqual(Buffer.from(got), plaintext);
    const expected = [plaintext.subarray(0, 2 * CHUNK), plaintext.subarray(2 * CHUNK)].map((s) =>
      createHash("sha256").update(s).digest("hex"),
    );
    assert.deepEqual(
      seen?.map((d) => d.toString("hex")),
      expected,
    );
  });

  it("when verify throws, rethrows its error and zeroes the plaintext it was shown", async () => {
    const sealed = await seal(randomBytes(1000), [recipient]);
    let shown: Uint8Array | undefined;
    await rejectsWithCode(
      openToMemory(sealed, [identity], {
        verify: (p) => {
          shown = p;
          return Promise.reject(new EdgewardError("EW_ERR_UNSUPPORTED"));
        },
      }),
      "EW_ERR_UNSUPPORTED",
    );
    assert.ok(shown !== undefined && shown.length === 1000 && shown.every((b) => b === 0));
  });

  it("a shard size that is not whole 64 KiB chunks is EW_ERR_AGE_STREAM_SHARD_SIZE", async () => {
    await rejectsWithCode(
      openToMemory(await seal(randomBytes(10), [recipient]), [identity], { shardSize: 1000 }),
      "EW_ERR_AGE_STREAM_SHARD_SIZE",
    );
  });
});

describe("bad input on the open paths", () => {
  const { recipient, identity } = keys("x25519");
  const other = keys("x25519");

  it("with the wrong identity, throws EW_ERR_AGE_NO_IDENTITY", async () => {
    await rejectsWithCode(
      openToMemory(await seal(randomBytes(100), [recipient]), [other.identity]),
      "EW_ERR_AGE_NO_IDENTITY",
    );
  });

  it("a header swapped onto another file's payload fails on the payload (EW_ERR_AGE_PAYLOAD_AUTH)", async () => {
    const a = await seal(randomBytes(3000), [recipient]);
    const b = await seal(randomBytes(3000), [recipient]);
    const swapped = Buffer.concat([
      a.subarray(0, parseHeader(a).payloadOffset),
      b.subarray(parseHeader(b).payloadOffset),
    ]);
    await rejectsWithCode(openToMemory(swapped, [identity]), "EW_ERR_AGE_PAYLOAD_AUTH");
  });

  it("a truncated, bit-flipped, extended or chunk-reordered payload fails with its EW_ERR_AGE_PAYLOAD_* code and no output file content", async () => {
    using dir = tempDir();
    const sealed = await seal(randomBytes(3 * CHUNK + 10), [recipient]);
    const start = parseHeader(sealed).payloadOffset + 16;
    const c0 = sealed.subarray(start, start + CHUNK + 16);
    const c1 = sealed.subarray(start + CHUNK + 16, start + 2 * (CHUNK + 16));
    // A file whose final chunk is full: bytes after it are recognisably trailing data.
    const fullLast = await seal(randomBytes(2 * CHUNK), [recipient]);
    const flipped = Buffer.from(sealed);
    flipped[start + CHUNK + 100] = (flipped[start + CHUNK + 100] ?? 0) ^ 1;
    const reordered = Buffer.concat([sealed.subarray(0, start), c1, c0, sealed.subarray(start + 2 * (CHUNK + 16))]);
    for (const [bytes, code] of [
      [sealed.subarray(0, sealed.length - 20), "EW_ERR_AGE_PAYLOAD_TRUNCATED"],
      [flipped, "EW_ERR_AGE_PAYLOAD_AUTH"],
      [sealed.subarray(0, start + 2 * (CHUNK + 16)), "EW_ERR_AGE_PAYLOAD_TRUNCATED"],
      [Buffer.concat([sealed, Buffer.from("x")]), "EW_ERR_AGE_PAYLOAD_AUTH"],
      [Buffer.concat([fullLast, Buffer.from("x")]), "EW_ERR_AGE_PAYLOAD_TRAILING_DATA"],
      [reordered, "EW_ERR_AGE_PAYLOAD_AUTH"],
    ] as const) {
      await rejectsWithCode(openToMemory(bytes, [identity]), code);
      const path = join(dir.path, "bad.age");
      await writeFile(path, bytes);
      const input = await open(path, "r");
      const output = await open(join(dir.path, "out"), "w+");
      try {
        await rejectsWithCode(openToFile(input, output, [identity]), code);
        assert.equal((await output.stat()).size, 0, "plaintext was left in the output");
      } finally {
        await input.close();
        await output.close();
      }
    }
  });

  it("empty input is EW_ERR_AGE_HEADER_MISSING on every path", async () => {
    await rejectsWithCode(openToMemory(new Uint8Array(0), [identity]), "EW_ERR_AGE_HEADER_MISSING");
    await rejectsWithCode(collect(openStream([], [identity])), "EW_ERR_AGE_HEADER_MISSING");
  });
});

describe("rewrap", () => {
  it("gives a new header for another recipient over the byte-identical payload, and the old identity no longer opens it", async () => {
    const hub = keys("x25519");
    const device = keys("p256");
    const plaintext = randomBytes(2 * CHUNK + 3);
    const sealed = await seal(plaintext, [hub.recipient]);
    const offset = parseHeader(sealed).payloadOffset;
    const header = await rewrap(sealed.subarray(0, offset), [hub.identity], [device.recipient]);
    const released = Buffer.concat([header, sealed.subarray(offset)]);
    assert.deepEqual(Buffer.from(await openToMemory(released, [device.identity])), plaintext);
    await rejectsWithCode(openToMemory(released, [hub.identity]), "EW_ERR_AGE_NO_IDENTITY");
    await rejectsWithCode(rewrap(sealed, [device.identity], [hub.recipient]), "EW_ERR_AGE_NO_IDENTITY");
  });

  it("rewrapFile copies the payload unchanged after the new header", async () => {
    using dir = tempDir();
    const hub = keys("x25519");
    const device = keys("x25519");
    const plaintext = randomBytes(CHUNK + 1);
    const sealed = await seal(plaintext, [hub.recipient]);
    await writeFile(join(dir.path, "in.age"), sealed);
    const input = await open(join(dir.path, "in.age"), "r");
    const output = await open(join(dir.path, "out.age"), "w+");
    const result = await rewrapFile(input, output, [hub.identity], [device.recipient]);
    await input.close();
    await output.close();
    const out = await readFile(join(dir.path, "out.age"));
    const offset = parseHeader(sealed).payloadOffset;
    assert.equal(result.payloadSize, sealed.length - offset);
    assert.deepEqual(out.subarray(result.headerSize), sealed.subarray(offset));
    assert.deepEqual(Buffer.from(await openToMemory(out, [device.identity])), plaintext);
  });
});

describe("inspect", () => {
  it("reports recipient types, the p256tag tag, sizes and chunk count without any key", async () => {
    using dir = tempDir();
    const a = keys("x25519");
    const b = keys("p256");
    const sealed = await seal(randomBytes(2 * CHUNK + 5), [a.recipient, b.recipient]);
    const report = await inspect(sealed);
    assert.equal(report.version, "v1");
    assert.deepEqual(
      report.recipients.map((r) => r.type),
      ["X25519", "p256tag"],
    );
    assert.match(report.recipients[1]?.tag ?? "", /^[A-Za-z0-9+/]{6}$/);
    assert.equal(report.headerSize, parseHeader(sealed).payloadOffset);
    assert.equal(report.payloadSize, sealed.length - report.headerSize);
    assert.equal(report.plaintextSize, 2 * CHUNK + 5);
    assert.equal(report.chunkCount, 3);
    assert.equal(report.armored, false);
    await writeFile(join(dir.path, "x.age"), sealed);
    const handle = await open(join(dir.path, "x.age"), "r");
    try {
      assert.deepEqual(await inspect(handle), report);
    } finally {
      await handle.close();
    }
    // A payload whose size no valid payload has is reported with the code a decryption would end with.
    await rejectsWithCode(inspect(sealed.subarray(0, report.headerSize + 10)), "EW_ERR_AGE_PAYLOAD_NONCE");
  });
});
