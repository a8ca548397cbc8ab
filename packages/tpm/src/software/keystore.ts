/**
 * The software keystore: the TpmDevice for a machine without a TPM. It works — keys, sealing, PCR policy, counters —
 * but every key it makes is an ordinary file encrypted under a master key on the same disk, so anyone who copies the
 * directory copies the keys. It reports `hardwareBacked: false` everywhere, and `edgeward audit` fails promise 1.
 *
 * PCRs are emulated in memory (all zero at start; a new keystore instance is a "reboot"), and policies are the same
 * PolicyPCR digests a TPM uses, so a tamper extend makes keys unusable here too until the process restarts.
 */
import { createCipheriv, createDecipheriv, createECDH, createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, chmodSync } from "node:fs";
import { join } from "node:path";
import {
  EdgewardError,
  hashByName,
  pcrDigest,
  policyPcrDigest,
  type PcrBank,
  type PcrSelection,
  type PcrValues,
} from "@edgeward/core";
import type { AttestationKey, CertifyEvidence, QuoteEvidence, TpmDevice, TpmStatus, WrappedObject } from "../device.ts";

const BANKS: readonly PcrBank[] = ["sha256"];

/** A keystore rooted at `dir` (created with mode 0700; the master key file is 0600). */
export class SoftwareKeystore implements TpmDevice {
  readonly kind = "software" as const;
  readonly hardwareBacked = false;
  readonly dir: string;
  readonly #master: Buffer;
  readonly #pcrs = new Map<string, Buffer>();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, "master.key");
    if (!existsSync(file)) writeAtomic(file, randomBytes(32));
    this.#master = readFileSync(file);
    if (this.#master.length !== 32)
      throw new EdgewardError("EW_ERR_TPM_KEY_FILE", { detail: `${file} is not a 32-byte keystore master key` });
  }

  get description(): string {
    return `software keystore (NOT hardware-backed) in ${this.dir}`;
  }

  status(): Promise<TpmStatus> {
    return Promise.resolve({
      kind: "software",
      hardwareBacked: false,
      manufacturer: "software",
      vendor: "Edgeward software keystore",
      firmwareVersion: "0",
      specification: "none (no TPM)",
      pcrBanks: BANKS,
      ekCertificates: { rsa: false, ecc: false },
    });
  }

  createDecryptionKey(pcrs: PcrSelection, expected?: PcrValues): Promise<WrappedObject> {
    return this.#run(() => {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      return this.#wrap(ecdh.getPublicKey(), ecdh.getPrivateKey(), pcrs, expected);
    });
  }

  deriveSharedSecret(key: WrappedObject, peer: Uint8Array): Promise<Uint8Array> {
    return this.#run(() => {
      const d = this.#unwrap(key);
      try {
        const ecdh = createECDH("prime256v1");
        ecdh.setPrivateKey(d);
        return new Uint8Array(ecdh.computeSecret(peer));
      } catch (err) {
        throw new EdgewardError("EW_ERR_TPM_PARSE", { detail: "peer is not a P-256 point", cause: err });
      } finally {
        d.fill(0);
      }
    });
  }

  seal(secret: Uint8Array, pcrs: PcrSelection, expected?: PcrValues): Promise<WrappedObject> {
    if (secret.length === 0 || secret.length > 128)
      return Promise.reject(new EdgewardError("EW_ERR_INPUT_TOO_LARGE", { detail: "seal takes 1-128 bytes" }));
    return this.#run(() => this.#wrap(new Uint8Array(0), secret, pcrs, expected));
  }

  unseal(sealed: WrappedObject): Promise<Uint8Array> {
    return this.#run(() => new Uint8Array(this.#unwrap(sealed)));
  }

  createAttestationKey(): Promise<AttestationKey> {
    return notHardware("an attestation key");
  }

  quote(): Promise<QuoteEvidence> {
    return notHardware("a quote");
  }

  certify(): Promise<CertifyEvidence> {
    return notHardware("certify evidence");
  }

  activateCredential(): Promise<Uint8Array> {
    return notHardware("credential activation");
  }

  ekPublic(): Promise<Uint8Array> {
    return notHardware("an endorsement key");
  }

  ekCertificate(): Promise<Uint8Array | null> {
    return Promise.resolve(null);
  }

  pcrRead(pcrs: PcrSelection): Promise<PcrValues> {
    return this.#run(() => this.#values(pcrs));
  }

  pcrExtend(index: number, data: Uint8Array): Promise<void> {
    return this.#run(() => {
      if (!Number.isInteger(index) || index < 0 || index > 23)
        throw new EdgewardError("EW_ERR_TPM_PCR_SELECTION", { detail: `PCR ${index}` });
      for (const bank of BANKS) {
        const k = `${bank}:${index}`;
        const old = this.#pcrs.get(k) ?? Buffer.alloc(hashByName(bank)?.size ?? 32);
        const event = createHash(bank).update(data).digest();
        this.#pcrs.set(k, createHash(bank).update(old).update(event).digest());
      }
    });
  }

  counterDefine(index: number): Promise<bigint> {
    return this.#run(() => {
      const counters = this.#counters();
      const key = hex(index);
      if (counters[key] === undefined) {
        // Never below what any counter here held (a TPM starts a new counter above every deleted one's value).
        counters[key] = String(Object.values(counters).reduce((m, v) => (BigInt(v) > m ? BigInt(v) : m), 0n) + 1n);
        this.#saveCounters(counters);
      }
      return BigInt(counters[key] ?? "0");
    });
  }

  counterIncrement(index: number): Promise<bigint> {
    return this.#run(() => {
      const counters = this.#counters();
      const key = hex(index);
      const v = counters[key];
      if (v === undefined) throw new EdgewardError("EW_ERR_TPM_NV_UNDEFINED", { detail: key });
      const next = BigInt(v) + 1n;
      counters[key] = String(next);
      this.#saveCounters(counters);
      return next;
    });
  }

  counterRead(index: number): Promise<bigint> {
    return this.#run(() => {
      const v = this.#counters()[hex(index)];
      if (v === undefined) throw new EdgewardError("EW_ERR_TPM_NV_UNDEFINED", { detail: hex(index) });
      return BigInt(v);
    });
  }

  /** AES-256-GCM under the master key; the public part, PCR selection and policy are authenticated data. */
  #wrap(pub: Uint8Array, secret: Uint8Array, pcrs: PcrSelection, expected?: PcrValues): WrappedObject {
    const values = expected ?? this.#values(pcrs);
    const policyDigest = policyPcrDigest(pcrs, values);
    const nonce = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.#master, nonce);
    c.setAAD(aad(pub, policyDigest));
    const body = Buffer.concat([c.update(secret), c.final()]);
    const priv = new Uint8Array(Buffer.concat([nonce, body, c.getAuthTag()]));
    return {
      kind: "software",
      public: pub,
      private: priv,
      pcrs,
      pcrDigest: pcrDigest(values, pcrs, "sha256"),
      policyDigest,
    };
  }

  #unwrap(obj: WrappedObject): Buffer {
    if (obj.kind !== "software") throw new EdgewardError("EW_ERR_TPM_KEY_FILE", { detail: "not a software key" });
    // The same check a TPM makes: the policy over the current PCR values must equal the object's policy.
    const now = policyPcrDigest(obj.pcrs, this.#values(obj.pcrs));
    if (now.length !== obj.policyDigest.length || !timingSafeEqual(now, obj.policyDigest))
      throw new EdgewardError("EW_ERR_TPM_POLICY", { detail: "software PCRs differ from the key's policy" });
    if (obj.private.length < 28) throw new EdgewardError("EW_ERR_TPM_KEY_FILE", { detail: "wrapped key too short" });
    try {
      const d = createDecipheriv("aes-256-gcm", this.#master, obj.private.subarray(0, 12));
      d.setAAD(aad(obj.public, obj.policyDigest));
      d.setAuthTag(obj.private.subarray(obj.private.length - 16));
      return Buffer.concat([d.update(obj.private.subarray(12, obj.private.length - 16)), d.final()]);
    } catch (err) {
      throw new EdgewardError("EW_ERR_TPM_FOREIGN_KEY", { detail: "made by another keystore, or damaged", cause: err });
    }
  }

  #values(pcrs: PcrSelection): PcrValues {
    const out: Record<string, Record<number, Uint8Array>> = {};
    for (const { bank, pcrs: list } of pcrs) {
      if (!BANKS.includes(bank)) throw new EdgewardError("EW_ERR_TPM_PCR_SELECTION", { detail: `bank ${bank}` });
      const b: Record<number, Uint8Array> = (out[bank] = {});
      for (const i of list) b[i] = this.#pcrs.get(`${bank}:${i}`) ?? new Uint8Array(hashByName(bank)?.size ?? 32);
    }
    return out;
  }

  #counters(): Record<string, string> {
    const file = join(this.dir, "counters.json");
    if (!existsSync(file)) return {};
    try {
      return JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
    } catch (err) {
      throw new EdgewardError("EW_ERR_IO", { detail: `${file} is damaged`, cause: err });
    }
  }

  #saveCounters(counters: Record<string, string>): void {
    writeAtomic(join(this.dir, "counters.json"), Buffer.from(JSON.stringify(counters)));
  }

  /** Runs synchronously but answers with a promise, as the TPM driver does, so both fit one interface. */
  #run<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new EdgewardError("EW_ERR_INTERNAL", { cause: err }));
    }
  }
}

function aad(pub: Uint8Array, policy: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from("edgeward software key v1\0"), pub, policy]);
}

function notHardware(what: string): Promise<never> {
  return Promise.reject(
    new EdgewardError("EW_ERR_TPM_NOT_HARDWARE", { detail: `the software keystore cannot make ${what}` }),
  );
}

function writeAtomic(file: string, data: Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
