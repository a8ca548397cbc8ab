import type { QueryStage } from "../config/types.ts";
import type { GuardImage } from "../data/image.ts";

/** What the detector says about one query. */
export interface QueryVerdict {
  /** True when the query matched at least one of the client's recent queries. */
  readonly flagged: boolean;
  /** The most hashes this query shares with any remembered query of the client. */
  readonly maxOverlap: number;
  /** How many remembered queries it matched. */
  readonly matches: number;
}

/**
 * Query-attack detection after Blacklight (Li et al., "Blacklight: Scalable Defense for Neural Networks against
 * Query-Based Black-Box Attacks", USENIX Security 2022, §4): each query becomes a fingerprint of the largest
 * hashes of sliding windows over its quantised pixels; black-box attacks send many near-identical queries, whose
 * fingerprints share most hashes, while distinct natural inputs share few. Memory is bounded: `history`
 * fingerprints of `topHashes` 32-bit values per client, at most `maxClients` clients (the least recently seen
 * is forgotten first).
 */
export class QueryDetector {
  readonly #config: QueryStage;
  readonly #clients = new Map<string, Uint32Array[]>();

  constructor(config: QueryStage) {
    this.#config = config;
  }

  /** Fingerprints `image`, compares it with the client's recent queries, then remembers it. */
  observe(clientId: string, image: GuardImage): QueryVerdict {
    const fp = fingerprint(image, this.#config);
    const history = this.#clients.get(clientId) ?? [];
    this.#clients.delete(clientId); // re-inserted below: Map order is least recently seen first
    let maxOverlap = 0;
    let matches = 0;
    for (const old of history) {
      const overlap = intersectionSize(fp, old);
      maxOverlap = Math.max(maxOverlap, overlap);
      if (overlap >= this.#config.matchThreshold) matches++;
    }
    history.push(fp);
    if (history.length > this.#config.history) history.shift();
    this.#clients.set(clientId, history);
    if (this.#clients.size > this.#config.maxClients) {
      const oldest = this.#clients.keys().next();
      if (oldest.done !== true) this.#clients.delete(oldest.value);
    }
    return { flagged: matches > 0, maxOverlap, matches };
  }

  /** The number of clients remembered. */
  get clients(): number {
    return this.#clients.size;
  }

  /** The number of fingerprints remembered, over all clients. */
  get fingerprints(): number {
    let n = 0;
    for (const h of this.#clients.values()) n += h.length;
    return n;
  }

  /** Forgets one client's history (after a review cleared it). */
  forget(clientId: string): void {
    this.#clients.delete(clientId);
  }
}

/**
 * A query's fingerprint (Blacklight §4.1): pixels quantised to multiples of `quantStep` on a 0..255 scale, every
 * window of `window` consecutive values hashed (FNV-1a, 32 bits), duplicates dropped, the `topHashes` largest
 * kept, sorted ascending. Flat windows (one value throughout) are skipped: a uniform background is shared by
 * every image of a data set like Fashion-MNIST and would make distinct queries match.
 */
export function fingerprint(
  image: GuardImage,
  config: Pick<QueryStage, "quantStep" | "window" | "topHashes">,
): Uint32Array {
  const { pixels } = image;
  const q = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    q[i] = Math.floor((Math.min(1, Math.max(0, pixels[i] ?? 0)) * 255) / config.quantStep);
  }
  const hashes = new Set<number>();
  for (let start = 0; start + config.window <= q.length; start++) {
    let h = 0x811c9dc5;
    let flat = true;
    for (let i = start; i < start + config.window; i++) {
      h = Math.imul(h ^ (q[i] ?? 0), 0x01000193) >>> 0;
      flat &&= q[i] === q[start];
    }
    if (!flat) hashes.add(h);
  }
  const sorted = Uint32Array.from(hashes).sort();
  return sorted.slice(Math.max(0, sorted.length - config.topHashes));
}

/** The size of the intersection of two ascending arrays. */
function intersectionSize(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] ?? 0;
    const y = b[j] ?? 0;
    if (x === y) {
      n++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return n;
}
