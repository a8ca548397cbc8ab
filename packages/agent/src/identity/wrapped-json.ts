/**
 * TPM-wrapped objects as JSON for the state directory. The private parts are TPM2B_PRIVATE blobs encrypted under
 * the TPM's storage primary key (TPM 2.0 Part 1 §22 "Protected storage"): useless to anyone without this TPM.
 */
import { EdgewardError, formatPcrSelection, parsePcrSelectionText } from "@edgeward/core";
import type { WrappedObject } from "@edgeward/tpm";

/** The JSON form of a {@link WrappedObject}: base64 fields, the PCR selection as text (`sha256:7,14`). */
export interface WrappedJson {
  readonly kind: "tpm2" | "software";
  readonly public: string;
  readonly private: string;
  readonly pcrs: string;
  readonly pcrDigest: string;
  readonly policyDigest: string;
}

/** Serialises a wrapped object. */
export function wrappedToJson(obj: WrappedObject): WrappedJson {
  return {
    kind: obj.kind,
    public: b64(obj.public),
    private: b64(obj.private),
    pcrs: formatPcrSelection(obj.pcrs),
    pcrDigest: b64(obj.pcrDigest),
    policyDigest: b64(obj.policyDigest),
  };
}

/** Parses a wrapped object read from the state directory; EW_ERR_AGENT_STATE when it is malformed. */
export function wrappedFromJson(value: unknown, what: string): WrappedObject {
  if (typeof value !== "object" || value === null) throw bad(what);
  const v = value as Record<string, unknown>;
  if (v["kind"] !== "tpm2" && v["kind"] !== "software") throw bad(what);
  return {
    kind: v["kind"],
    public: unb64(v["public"], what),
    private: unb64(v["private"], what),
    pcrs: parsePcrSelectionText(str(v["pcrs"], what)),
    pcrDigest: unb64(v["pcrDigest"], what),
    policyDigest: unb64(v["policyDigest"], what),
  };
}

/** Standard base64 of bytes. */
export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Strict standard base64 (padded) to bytes; EW_ERR_AGENT_STATE naming `what` otherwise. */
export function unb64(value: unknown, what: string): Uint8Array {
  const s = str(value, what);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) throw bad(what);
  return new Uint8Array(Buffer.from(s, "base64"));
}

function str(value: unknown, what: string): string {
  if (typeof value !== "string") throw bad(what);
  return value;
}

function bad(what: string): EdgewardError {
  return new EdgewardError("EW_ERR_AGENT_STATE", { detail: `${what} is malformed` });
}
