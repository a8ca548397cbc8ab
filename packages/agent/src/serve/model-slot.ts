/**
 * The one place the serving model lives (promise 5; ARCHITECTURE.md "Rules that hold everywhere": plaintext model
 * bytes only in the agent's process memory). A model is loaded from the decrypted buffer into an ONNX Runtime
 * session, the buffer is zeroed as soon as the session holds its own copy, and a switch to a new release is atomic:
 * the new session is ready before the old one is released, so a request sees one or the other, never neither.
 */
import type ort from "onnxruntime-node";
import { EdgewardError } from "@edgeward/core";

/** The release a session serves. */
export interface ServingModel {
  readonly name: string;
  readonly version: string;
  readonly releaseId: string;
}

/** Creates an inference session from model bytes in memory (never a path). */
export type SessionLoader = (model: Uint8Array) => Promise<ort.InferenceSession>;

interface Loaded extends ServingModel {
  readonly session: ort.InferenceSession;
  readonly loadedAt: Date;
}

/** Holds the serving session; zeroizes on tamper. */
export class ModelSlot {
  readonly #load: SessionLoader;
  #current: Loaded | undefined;
  #tampered: { source: string; at: string } | undefined;
  #inflight = 0;

  constructor(load: SessionLoader) {
    this.#load = load;
  }

  /**
   * Loads `plaintext` and makes it the serving model. The buffer is overwritten with zeros once the session is
   * created (ONNX Runtime keeps its own copy), whether or not loading succeeded.
   */
  async activate(model: ServingModel, plaintext: Uint8Array): Promise<void> {
    if (this.#tampered !== undefined) {
      plaintext.fill(0);
      throw new EdgewardError("EW_ERR_AGENT_TAMPERED", { detail: `since ${this.#tampered.at}` });
    }
    let session: ort.InferenceSession;
    try {
      session = await this.#load(plaintext);
    } finally {
      plaintext.fill(0);
    }
    // A tamper event may have fired while the session was loading.
    const tampered = this.describe().tampered;
    if (tampered !== undefined) {
      await session.release();
      throw new EdgewardError("EW_ERR_AGENT_TAMPERED", { detail: `since ${tampered.at}` });
    }
    const previous = this.#current;
    this.#current = { ...model, session, loadedAt: new Date() };
    if (previous !== undefined) await releaseWhenIdle(previous.session, () => this.#inflight);
  }

  /** The serving model, or EW_ERR_AGENT_TAMPERED / EW_ERR_AGENT_NO_MODEL. */
  current(): Loaded {
    if (this.#tampered !== undefined)
      throw new EdgewardError("EW_ERR_AGENT_TAMPERED", { detail: `${this.#tampered.source} at ${this.#tampered.at}` });
    if (this.#current === undefined) throw new EdgewardError("EW_ERR_AGENT_NO_MODEL");
    return this.#current;
  }

  /** What is serving (for status and metrics), without throwing. */
  describe(): { model: ServingModel | undefined; tampered: { source: string; at: string } | undefined } {
    const c = this.#current;
    return {
      model: c === undefined ? undefined : { name: c.name, version: c.version, releaseId: c.releaseId },
      tampered: this.#tampered,
    };
  }

  /** Runs `fn` with the current session, counting it in flight so a switch does not release it mid-run. */
  async use<T>(fn: (loaded: Loaded) => Promise<T>): Promise<T> {
    const loaded = this.current();
    this.#inflight++;
    try {
      return await fn(loaded);
    } finally {
      this.#inflight--;
    }
  }

  /**
   * Tamper: from this call on nothing is served and nothing can be loaded (synchronously); the session is released
   * (its memory freed by ONNX Runtime) as soon as the requests already running on it return.
   */
  zeroize(event: { source: string; at: string }): Promise<void> {
    this.#tampered ??= event;
    const c = this.#current;
    this.#current = undefined;
    return c === undefined
      ? Promise.resolve()
      : releaseWhenIdle(c.session, () => this.#inflight).catch(() => undefined);
  }

  /** Releases the session (shutdown). */
  async close(): Promise<void> {
    const c = this.#current;
    this.#current = undefined;
    if (c !== undefined) await c.session.release();
  }
}

async function releaseWhenIdle(session: ort.InferenceSession, inflight: () => number): Promise<void> {
  // Requests that began on the old session finish on it; new ones already see the new session.
  for (let i = 0; i < 500 && inflight() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  await session.release();
}
