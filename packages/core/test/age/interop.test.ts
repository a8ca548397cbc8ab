// Interoperability with the reference age CLI installed on this machine (/usr/bin/age, age-keygen; Debian 12
// ships age 1.1.1, which has X25519 but neither the hybrid nor the P-256 tag recipients, so those two are
// covered by the cctv-age vectors instead). Both directions, binary and armored, and identity files.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { tempDir } from "@edgeward/testkit";
import { armorBytes } from "../../src/age/armor.ts";
import { parseHeader } from "../../src/age/header.ts";
import { generateIdentity, parseIdentities } from "../../src/age/identities.ts";
import { openToMemory } from "../../src/age/open.ts";
import { parseRecipient, parseRecipientsFile } from "../../src/age/recipients.ts";
import { rewrap } from "../../src/age/rewrap.ts";
import { sealStream } from "../../src/age/seal.ts";
import type { AgeRecipient } from "../../src/age/types.ts";

const run = promisify(execFile);
const SIZES = [0, 1, 65536, 65536 * 3 + 17];

async function sealBytes(plaintext: Uint8Array, recipients: AgeRecipient[]): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of sealStream([plaintext], recipients)) parts.push(part);
  return Buffer.concat(parts);
}

async function ageDecrypt(file: string, identityFile: string): Promise<Buffer> {
  const { stdout } = await run("age", ["-d", "-i", identityFile, file], { encoding: "buffer", maxBuffer: 1 << 26 });
  return stdout;
}

describe("interoperability with the age CLI", () => {
  it("the installed age is available", async () => {
    const { stdout } = await run("age", ["--version"]);
    assert.match(stdout, /\d+\.\d+/);
  });

  it("an identity file written by age-keygen loads, with the recipient age-keygen printed", async () => {
    using dir = tempDir();
    const path = join(dir.path, "key.txt");
    await run("age-keygen", ["-o", path]);
    const text = await readFile(path, "utf8");
    const [identity] = parseIdentities(text);
    const printed = /# public key: (age1\S+)/.exec(text)?.[1];
    assert.equal(identity?.recipient, printed);
    const { stdout } = await run("age-keygen", ["-y", path]);
    assert.equal(stdout.trim(), printed);
  });

  it("age-keygen -y derives the same recipient from our x25519 identity file", async () => {
    using dir = tempDir();
    const { identityText, recipient } = generateIdentity("x25519");
    await writeFile(join(dir.path, "ours.txt"), identityText, { mode: 0o600 });
    const { stdout } = await run("age-keygen", ["-y", join(dir.path, "ours.txt")]);
    assert.equal(stdout.trim(), recipient);
  });

  for (const size of SIZES) {
    it(`files we seal (${size} bytes, binary and armored, two recipients) open with age -d`, async () => {
      using dir = tempDir();
      await run("age-keygen", ["-o", join(dir.path, "theirs.txt")]);
      const theirs = parseIdentities(await readFile(join(dir.path, "theirs.txt"), "utf8"))[0];
      const ours = generateIdentity("x25519");
      await writeFile(join(dir.path, "ours.txt"), ours.identityText);
      const plaintext = randomBytes(size);
      const sealed = await sealBytes(plaintext, [
        parseRecipient(ours.recipient),
        parseRecipient(theirs?.recipient ?? ""),
      ]);
      await writeFile(join(dir.path, "m.age"), sealed);
      await writeFile(join(dir.path, "m.age.asc"), armorBytes(sealed));
      assert.deepEqual(await ageDecrypt(join(dir.path, "m.age"), join(dir.path, "theirs.txt")), plaintext);
      assert.deepEqual(await ageDecrypt(join(dir.path, "m.age"), join(dir.path, "ours.txt")), plaintext);
      assert.deepEqual(await ageDecrypt(join(dir.path, "m.age.asc"), join(dir.path, "theirs.txt")), plaintext);
    });

    it(`files age -r / -R / -a makes (${size} bytes) open with ours`, async () => {
      using dir = tempDir();
      const ours = generateIdentity("x25519");
      const [identity] = parseIdentities(ours.identityText);
      assert.ok(identity !== undefined);
      const plaintext = randomBytes(size);
      const input = join(dir.path, "in.bin");
      await writeFile(input, plaintext);
      await writeFile(join(dir.path, "recipients.txt"), `# ours\n${ours.recipient}\n`);
      await run("age", ["-r", ours.recipient, "-o", join(dir.path, "r.age"), input]);
      await run("age", ["-R", join(dir.path, "recipients.txt"), "-o", join(dir.path, "R.age"), input]);
      await run("age", ["-a", "-r", ours.recipient, "-o", join(dir.path, "a.age"), input]);
      for (const name of ["r.age", "R.age", "a.age"]) {
        assert.deepEqual(
          Buffer.from(await openToMemory(await readFile(join(dir.path, name)), [identity])),
          plaintext,
          name,
        );
      }
      // And the recipients file age read is one we read the same way.
      assert.equal(
        parseRecipientsFile(await readFile(join(dir.path, "recipients.txt"), "utf8"))[0]?.recipient,
        ours.recipient,
      );
    });
  }

  it("a file age made, re-wrapped by us to an age-keygen key, opens with age -d", async () => {
    using dir = tempDir();
    const hub = generateIdentity("x25519");
    const [hubId] = parseIdentities(hub.identityText);
    assert.ok(hubId !== undefined);
    await run("age-keygen", ["-o", join(dir.path, "device.txt")]);
    const device = parseIdentities(await readFile(join(dir.path, "device.txt"), "utf8"))[0];
    const plaintext = randomBytes(70000);
    await writeFile(join(dir.path, "in.bin"), plaintext);
    await run("age", ["-r", hub.recipient, "-o", join(dir.path, "hub.age"), join(dir.path, "in.bin")]);
    const sealed = await readFile(join(dir.path, "hub.age"));
    const offset = parseHeader(sealed).payloadOffset;
    const header = await rewrap(sealed.subarray(0, offset), [hubId], [parseRecipient(device?.recipient ?? "")]);
    await writeFile(join(dir.path, "device.age"), Buffer.concat([header, sealed.subarray(offset)]));
    assert.deepEqual(await ageDecrypt(join(dir.path, "device.age"), join(dir.path, "device.txt")), plaintext);
  });

  it("age -d refuses a file we sealed when given the wrong identity (the negative control)", async () => {
    using dir = tempDir();
    await run("age-keygen", ["-o", join(dir.path, "other.txt")]);
    const sealed = await sealBytes(randomBytes(100), [parseRecipient(generateIdentity("x25519").recipient)]);
    await writeFile(join(dir.path, "m.age"), sealed);
    await assert.rejects(ageDecrypt(join(dir.path, "m.age"), join(dir.path, "other.txt")));
  });
});
