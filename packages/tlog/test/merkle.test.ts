import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { isEdgewardError } from "@edgeward/core";
import { rejectsWithCode, throwsWithCode } from "@edgeward/testkit";
import {
  CompactRange,
  EMPTY_ROOT,
  MAX_TREE_SIZE,
  MemoryTree,
  leafHash,
  nodeHash,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
} from "@edgeward/tlog";

// Conformance data from transparency-dev/merkle (see ../../../../shared/vectors/README.md); read in place, not copied.
const VECTORS = fileURLToPath(new URL("../../../../shared/vectors/rfc6962/", import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith(".json") ? [path] : [];
  });
}

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));
const proofOf = (p: string[] | null): Uint8Array[] => (p ?? []).map(b64);

/** Runs `check` and returns whether it threw one of our typed errors (anything else fails the test). */
function outcome(check: () => void): boolean {
  try {
    check();
    return false;
  } catch (err) {
    assert.ok(isEdgewardError(err), `untyped error: ${String(err)}`);
    return true;
  }
}

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  wantErr: boolean;
}
interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  wantErr: boolean;
}

describe("RFC 6962 conformance vectors (transparency-dev/merkle testdata)", () => {
  const inclusion = files(join(VECTORS, "inclusion"));
  const consistency = files(join(VECTORS, "consistency"));

  it("finds the vector files", () => {
    assert.ok(inclusion.length > 50 && consistency.length > 50, `${inclusion.length}/${consistency.length}`);
  });

  it("every inclusion vector gives its wantErr outcome", () => {
    for (const file of inclusion) {
      const v = JSON.parse(readFileSync(file, "utf8")) as InclusionVector;
      const failed = outcome(() =>
        verifyInclusion(b64(v.leafHash), v.leafIdx, v.treeSize, proofOf(v.proof), b64(v.root)),
      );
      assert.equal(failed, v.wantErr, relative(VECTORS, file));
    }
  });

  it("every consistency vector gives its wantErr outcome, including size 0 and unequal-length roots", () => {
    for (const file of consistency) {
      const v = JSON.parse(readFileSync(file, "utf8")) as ConsistencyVector;
      const failed = outcome(() => verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), proofOf(v.proof)));
      assert.equal(failed, v.wantErr, relative(VECTORS, file));
    }
  });

  it("roots.json: leaf hashes and the root of every size 0..8 are reproduced", () => {
    const roots = JSON.parse(readFileSync(join(VECTORS, "roots.json"), "utf8")) as {
      leafInputsHex: string[];
      leafHashesHex: string[];
      rootsBySizeHex: string[];
    };
    const tree = new MemoryTree();
    assert.equal(Buffer.from(tree.root()).toString("hex"), roots.rootsBySizeHex[0]);
    assert.equal(Buffer.from(EMPTY_ROOT).toString("hex"), roots.rootsBySizeHex[0]);
    roots.leafInputsHex.forEach((hex, i) => {
      const h = leafHash(Buffer.from(hex, "hex"));
      assert.equal(Buffer.from(h).toString("hex"), roots.leafHashesHex[i]);
      tree.append(h);
      assert.equal(Buffer.from(tree.root()).toString("hex"), roots.rootsBySizeHex[i + 1], `size ${i + 1}`);
    });
    for (let size = 1; size <= 8; size++)
      assert.equal(Buffer.from(tree.rootAt(size)).toString("hex"), roots.rootsBySizeHex[size]);
  });
});

/** MTH straight from RFC 9162 §2.1.1, recursive, as an independent reference. */
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  const k = splitPoint(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

describe("proof generation against the RFC's recursive definition", () => {
  const leaves = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
  const tree = new MemoryTree();
  for (const l of leaves) tree.append(l);

  it("the compact-range root equals the recursive MTH at every size up to 70", () => {
    for (let n = 0; n <= 70; n++) assert.deepEqual(tree.rootAt(n), mth(leaves.slice(0, n)), `size ${n}`);
  });

  it("every inclusion proof for every size up to 70 verifies, and fails for the neighbouring index", async () => {
    for (let n = 1; n <= 70; n++) {
      const root = mth(leaves.slice(0, n));
      for (let i = 0; i < n; i++) {
        const proof = await tree.inclusionProof(i, n);
        verifyInclusion(leaves[i]!, i, n, proof, root);
        if (n > 1)
          throwsWithCode(() => verifyInclusion(leaves[(i + 1) % n]!, i, n, proof, root), "EW_ERR_PROOF_INVALID");
      }
    }
  });

  it("every consistency proof between sizes up to 70 verifies, and a flipped bit anywhere is caught", async () => {
    for (let n = 1; n <= 70; n++)
      for (let m = 1; m <= n; m++) {
        const proof = await tree.consistencyProof(m, n);
        const r1 = mth(leaves.slice(0, m));
        const r2 = mth(leaves.slice(0, n));
        verifyConsistency(m, n, r1, r2, proof);
        // Tampering with any element must be detected: every link is checked, not only the ends.
        for (let j = 0; j < proof.length; j++) {
          const bad = proof.map((p) => new Uint8Array(p));
          bad[j]![0]! ^= 1;
          throwsWithCode(() => verifyConsistency(m, n, r1, r2, bad), "EW_ERR_PROOF_INVALID");
        }
      }
  });

  it("when the index is past the tree size, proof generation rejects with EW_ERR_PROOF_RANGE", async () => {
    await rejectsWithCode(tree.inclusionProof(5, 5), "EW_ERR_PROOF_RANGE");
    await rejectsWithCode(tree.consistencyProof(0, 5), "EW_ERR_PROOF_RANGE");
    await rejectsWithCode(tree.consistencyProof(6, 5), "EW_ERR_PROOF_RANGE");
  });

  it("when a proof hash is not 32 bytes, verification rejects with EW_ERR_PROOF_MALFORMED", async () => {
    const proof = await tree.inclusionProof(3, 8);
    const root = mth(leaves.slice(0, 8));
    throwsWithCode(
      () => verifyInclusion(leaves[3]!, 3, 8, [...proof.slice(1), new Uint8Array(31)], root),
      "EW_ERR_PROOF_MALFORMED",
    );
    throwsWithCode(() => verifyInclusion(leaves[3]!, 3, 8, proof, root.subarray(1)), "EW_ERR_PROOF_MALFORMED");
  });
});

describe("the compact range's size limit", () => {
  it("when the range already covers MAX_TREE_SIZE leaves, appending rejects with EW_ERR_LOG_FULL", () => {
    // A tree of 2^40 leaves is one perfect subtree, so its frontier is a single hash and the limit is reached
    // without appending 2^40 entries.
    const leaf = leafHash(Buffer.from("e"));
    const full = CompactRange.fromFrontier(MAX_TREE_SIZE, [leaf]);
    throwsWithCode(() => full.append(leaf), "EW_ERR_LOG_FULL");
    assert.equal(full.size, MAX_TREE_SIZE);
    // One below the limit still accepts the last leaf, and then is full.
    const below = CompactRange.fromFrontier(
      MAX_TREE_SIZE - 1,
      CompactRange.frontier(MAX_TREE_SIZE - 1).map(() => leaf),
    );
    below.append(leaf);
    assert.equal(below.size, MAX_TREE_SIZE);
    throwsWithCode(() => below.append(leaf), "EW_ERR_LOG_FULL");
  });
});
