/**
 * Switching the served release together with its guard (ARCHITECTURE.md "The flows" 4 and 5): the guard file is
 * loaded and checked against the digest the release names first; only then is the model loaded and switched in,
 * and the guard with it. A guard that does not match refuses the whole release, and the model that was serving
 * keeps serving with its own guard.
 */
import type { GuardSlot, PreparedGuard, ReleaseGuard } from "./guard-slot.ts";
import type { ModelSlot, ServingModel } from "./model-slot.ts";

/** Activates `model` from `plaintext` (zeroed whatever happens) with the release's guard, if it names one. */
export async function activateServing(
  slots: { readonly slot: ModelSlot; readonly guards: GuardSlot },
  model: ServingModel,
  plaintext: Uint8Array,
  guard: ReleaseGuard | undefined,
): Promise<void> {
  let prepared: PreparedGuard | undefined;
  try {
    prepared = guard === undefined ? undefined : await slots.guards.prepare(guard);
  } catch (err) {
    plaintext.fill(0);
    throw err;
  }
  try {
    await slots.slot.activate(model, plaintext);
  } catch (err) {
    await prepared?.loaded.close();
    throw err;
  }
  await slots.guards.swap(prepared);
}
