// Random mutations of a signature bundle: nothing crashes, every failure is typed, and nothing that changes what
// is signed ever verifies. Seeded, so a failure names the iteration that reproduces it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, describe, it } from "node:test";
import { seededRandom } from "@edgeward/testkit";
import { isEdgewardError } from "../../src/errors/index.ts";
import { parseBundle, serializeBundle, type OmsBundle } from "../../src/oms/bundle.ts";
import { signModel } from "../../src/oms/sign.ts";
import { verifyModel } from "../../src/oms/verify.ts";
import { publisher, randomModel, resign, statementOf, type StatementJson } from "./helpers.ts";

const TEXT_MUTATIONS = 3000;
const STATEMENT_MUTATIONS = 1000;
const SEED = 0x0e5a_2026;

const ALPHABET = '{}[]":,0123456789-+.eE \\/ntfrulAZaz=+_';

describe("fuzzing the bundle", () => {
  const { privateKeyPem, publicKeyPem } = publisher();
  const data = randomModel(3 * 65_536 + 77);
  let bundle: OmsBundle;
  let text: string;
  before(async () => {
    bundle = await signModel({ data, name: "model.onnx", privateKey: privateKeyPem, shardSize: 65_536 });
    text = serializeBundle(bundle);
  });

  /** What the signature covers: DSSE binds payloadType and payload; the signature bytes are what was checked. */
  const authenticated = (b: unknown) => {
    const e = parseBundle(b);
    return `${e.payloadType}|${e.payload.toString("base64")}|${e.signature.toString("base64")}`;
  };

  it(`${TEXT_MUTATIONS} mutations of the JSON text never crash and never verify altered content`, async (t) => {
    const random = seededRandom(SEED);
    const pick = (n: number) => Math.floor(random() * n);
    const original = authenticated(JSON.parse(text));
    const codes = new Map<string, number>();
    let unparsable = 0;
    let inertVerified = 0;
    for (let i = 0; i < TEXT_MUTATIONS; i++) {
      let mutated = text;
      for (let k = 1 + pick(3); k > 0; k--) mutated = mutateText(mutated, pick);
      let parsed: unknown;
      try {
        parsed = JSON.parse(mutated);
      } catch {
        unparsable++;
        parsed = mutated; // as a caller that skipped JSON.parse would pass it
      }
      if (JSON.stringify(parsed) === JSON.stringify(bundle)) continue; // whitespace only: not a mutation
      try {
        await verifyModel({ bundle: parsed, publicKey: publicKeyPem, data });
      } catch (err) {
        assert.ok(isEdgewardError(err), `iteration ${i}: untyped failure ${String(err)}`);
        codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
        continue;
      }
      // It verified: only fields the signature does not cover (keyid, an unknown key, a dropped hint) may differ.
      assert.equal(authenticated(parsed), original, `iteration ${i} verified altered content: ${mutated}`);
      inertVerified++;
    }
    t.diagnostic(`unparsable ${unparsable}, verified inert ${inertVerified}, codes ${JSON.stringify([...codes])}`);
    assert.ok((codes.get("EW_ERR_SIG_INVALID") ?? 0) > 100, JSON.stringify([...codes]));
    assert.ok((codes.get("EW_ERR_OMS_BUNDLE_MALFORMED") ?? 0) > 100);
    assert.ok(unparsable > 0);
    assert.ok(inertVerified < TEXT_MUTATIONS / 10);
  });

  it(`${STATEMENT_MUTATIONS} signed mutations of the statement never crash, and verify only when the shards are unchanged`, async (t) => {
    const random = seededRandom(SEED + 1);
    const pick = (n: number) => Math.floor(random() * n);
    const original = statementOf(bundle);
    const shards = (st: StatementJson) => JSON.stringify(st.predicate.resources?.map((r) => [r.name, r.digest]));
    const before = shards(original);
    let verified = 0;
    for (let i = 0; i < STATEMENT_MUTATIONS; i++) {
      const changed = resign(bundle, (st) => mutateValue(st, pick, random));
      try {
        await verifyModel({ bundle: changed, publicKey: publicKeyPem, data });
      } catch (err) {
        assert.ok(isEdgewardError(err), `iteration ${i}: untyped failure ${String(err)}`);
        continue;
      }
      assert.equal(shards(statementOf(changed)), before, `iteration ${i} verified other shards`);
      verified++;
    }
    t.diagnostic(`verified ${verified} (mutations of fields the check ignores, such as allow_symlinks or extra keys)`);
    assert.ok(verified < STATEMENT_MUTATIONS / 2);
  });
});

function mutateText(text: string, pick: (n: number) => number): string {
  const at = pick(text.length);
  switch (pick(6)) {
    case 0: // flip one bit of one character
      return text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ (1 << pick(7))) + text.slice(at + 1);
    case 1: // delete a short span
      return text.slice(0, at) + text.slice(at + 1 + pick(8));
    case 2: // insert a JSON-ish character
      return text.slice(0, at) + ALPHABET[pick(ALPHABET.length)]! + text.slice(at);
    case 3: // duplicate a span
      return text.slice(0, at) + text.slice(at, at + 1 + pick(40)) + text.slice(at);
    case 4: // swap two characters
      return text.slice(0, at) + (text[at + 1] ?? "") + (text[at] ?? "") + text.slice(at + 2);
    default: // truncate
      return text.slice(0, at);
  }
}

/** Replaces, deletes or adds one value somewhere in a JSON tree (in place). */
function mutateValue(root: StatementJson, pick: (n: number) => number, random: () => number): void {
  const containers: (Record<string, unknown> | unknown[])[] = [];
  const walk = (node: unknown) => {
    if (typeof node !== "object" || node === null) return;
    containers.push(node as Record<string, unknown> | unknown[]);
    for (const child of Object.values(node)) walk(child);
  };
  walk(root);
  const target = containers[pick(containers.length)]!;
  const values: unknown[] = [
    null,
    true,
    0,
    -1,
    65_536 * (1 + pick(4)),
    1.5,
    "",
    ".:0:65536",
    "sha256",
    createHash("sha256").update(String(random())).digest("hex"),
    [],
    {},
    "https://model_signing/signature/v1.0",
  ];
  const value = values[pick(values.length)];
  if (Array.isArray(target)) {
    const index = pick(target.length + 1);
    if (pick(3) === 0) target.splice(index, 1);
    else if (pick(2) === 0) target[index] = value;
    else target.push(value);
    return;
  }
  const keys = Object.keys(target);
  const key = keys.length > 0 && pick(4) > 0 ? keys[pick(keys.length)]! : `k${pick(3)}`;
  if (pick(3) === 0) delete target[key];
  else target[key] = value;
}
