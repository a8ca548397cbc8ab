/**
 * The version floor (ARCHITECTURE.md promise 6): a TPM NV monotonic counter (TPM 2.0 Part 1 §37.2.4,
 * TPM_NT_COUNTER). It can only go up and it lives in the TPM, so it survives reboots and a wiped or reinstalled
 * state directory; the agent refuses any release whose version sequence is below it, whatever the hub or TUF say.
 *
 * The counter's value is the floor itself. A fresh counter's first value is above the highest value of any counter
 * deleted from that TPM (Part 1 §37.2.4, Part 3 §31.8), so undefining and redefining a floor cannot lower it; a
 * counter that starts higher only ever refuses more.
 */
import { createHash } from "node:crypto";
import { EdgewardError } from "@edgeward/core";
import { DEFAULT_COUNTER_INDEX, type TpmDevice } from "@edgeward/tpm";

/** The most a single release may raise the floor: each step is one TPM2_NV_Increment (NV wear, time). */
export const MAX_FLOOR_STEP = 1024;

/**
 * The NV index of release `name`'s floor: one counter per release name, so one model's generations never hold back
 * another's. Derived from the name alone (in the owner range, TCG handle registry), so a reinstalled state directory
 * finds the same counter. Distinct names may share an index only by a 22-bit hash collision, which refuses more.
 */
export function floorIndexFor(name: string): number {
  const h = createHash("sha256").update(`edgeward floor\0${name}`).digest();
  return 0x01c00000 | (h.readUInt32BE(0) & 0x003fffff);
}

/** The version floor in a TPM NV counter. */
export class VersionFloor {
  readonly #tpm: TpmDevice;
  readonly #index: number;
  /**
   * The highest value this object has read from the counter. The counter only ever goes up, so the floor is at
   * least this: a sequence below it is refused without asking the TPM again (a rollback refused every cycle costs
   * no TPM command), while anything at or above it is checked against the TPM itself.
   */
  #atLeast = 0n;

  constructor(tpm: TpmDevice, index = DEFAULT_COUNTER_INDEX) {
    this.#tpm = tpm;
    this.#index = index;
  }

  /** The floor of release `name`, its counter defined if absent. */
  static async forRelease(tpm: TpmDevice, name: string): Promise<VersionFloor> {
    const floor = new VersionFloor(tpm, floorIndexFor(name));
    await floor.init();
    return floor;
  }

  /** Defines the counter if absent (idempotent) and returns the floor. */
  async init(): Promise<bigint> {
    return this.#seen(await this.#tpm.counterDefine(this.#index));
  }

  /** The current floor (EW_ERR_TPM_NV_UNDEFINED before {@link init}). */
  async read(): Promise<bigint> {
    return this.#seen(await this.#tpm.counterRead(this.#index));
  }

  /** The highest value read from the TPM by this object so far; 0 before the first read. */
  get lastRead(): bigint {
    return this.#atLeast;
  }

  /** Throws EW_ERR_AGENT_FLOOR when `sequence` is below the floor. */
  async check(sequence: number, what: string): Promise<void> {
    checkSequence(sequence);
    const floor = BigInt(sequence) < this.#atLeast ? this.#atLeast : await this.read();
    if (BigInt(sequence) < floor)
      throw new EdgewardError("EW_ERR_AGENT_FLOOR", { detail: `${what} is sequence ${sequence}, the floor ${floor}` });
  }

  /** Raises the floor to `sequence` (no-op when it is already there or above); returns the new floor. */
  async raise(sequence: number): Promise<bigint> {
    checkSequence(sequence);
    let floor = await this.read();
    const target = BigInt(sequence);
    if (target - floor > BigInt(MAX_FLOOR_STEP))
      throw new EdgewardError("EW_ERR_AGENT_FLOOR", { detail: `raising ${floor} to ${sequence} is too large a step` });
    while (floor < target) floor = this.#seen(await this.#tpm.counterIncrement(this.#index));
    return floor;
  }

  #seen(value: bigint): bigint {
    if (value > this.#atLeast) this.#atLeast = value;
    return value;
  }
}

function checkSequence(sequence: number): void {
  if (!Number.isSafeInteger(sequence) || sequence < 0)
    throw new EdgewardError("EW_ERR_AGENT_HUB_RESPONSE", { detail: `version sequence ${sequence}` });
}
