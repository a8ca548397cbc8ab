import { parseRecipient, type Stanza } from "@edgeward/core";

/**
 * `count` p256tag stanzas that carry the tag of `recipient` but whose wrapped file key is forged (one bit of the
 * body flipped). The tag is computed from public values (c2sp.org/age §p256tag recipient stanza), so anyone can
 * make such stanzas; an identity must treat them as addressed to it and fail to open each.
 */
export async function forgedTaggedStanzas(recipient: string, count: number): Promise<Stanza[]> {
  const r = parseRecipient(recipient);
  const out: Stanza[] = [];
  for (let i = 0; i < count; i++) {
    const [s] = await r.wrapFileKey(new Uint8Array(16));
    const body = Uint8Array.from(s!.body);
    body[0]! ^= 1;
    out.push({ ...s!, body });
  }
  return out;
}
