/**
 * A direct TPM command channel for the two TCTIs that carry raw TPM 2.0 command bytes: swtpm's server socket
 * (`swtpm:path=…`) and the kernel's device (`device:/dev/tpmrm0`). Anything else (mssim framing, tabrmd over D-Bus)
 * has no transport here and the driver uses tpm2-tools instead.
 */
import { open, type FileHandle } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { EdgewardError } from "@edgeward/core";

/** Sends one command and returns its complete response. */
export interface TpmTransport {
  send(command: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** The largest response a TPM sends (TPM 2.0 Part 2 §6.13: MAX_RESPONSE_SIZE is 4096 on PC-client TPMs). */
const MAX_RESPONSE = 8192;

/** The transport for `tcti`, or undefined when this TCTI needs tpm2-tools. */
export function transportKind(tcti: string): { kind: "socket" | "device"; path: string } | undefined {
  const swtpm = /^swtpm:path=([^,]+)$/.exec(tcti);
  if (swtpm?.[1] !== undefined) return { kind: "socket", path: swtpm[1] };
  const device = /^device:(\/dev\/tpm(?:rm)?[0-9]+)$/.exec(tcti);
  if (device?.[1] !== undefined) return { kind: "device", path: device[1] };
  return undefined;
}

/** Opens the transport; EW_ERR_TPM_UNAVAILABLE when nothing answers there. */
export async function openTransport(tcti: string): Promise<TpmTransport> {
  const k = transportKind(tcti);
  if (k === undefined) throw new EdgewardError("EW_ERR_TPM_UNAVAILABLE", { detail: `no direct transport for ${tcti}` });
  return k.kind === "socket" ? openSocket(k.path) : openDevice(k.path);
}

function openSocket(path: string): Promise<TpmTransport> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once("error", (err) => reject(new EdgewardError("EW_ERR_TPM_UNAVAILABLE", { detail: path, cause: err })));
    socket.once("connect", () => resolve(socketTransport(socket)));
  });
}

function socketTransport(socket: Socket): TpmTransport {
  let buffered = Buffer.alloc(0);
  let waiter: ((r: Uint8Array) => void) | undefined;
  let failer: ((e: Error) => void) | undefined;
  const deliver = (): void => {
    if (waiter === undefined || buffered.length < 10) return;
    const size = buffered.readUInt32BE(2);
    if (size < 10 || size > MAX_RESPONSE) {
      failer?.(new EdgewardError("EW_ERR_TPM_PARSE", { detail: `response size ${size}` }));
      return;
    }
    if (buffered.length < size) return;
    const response = new Uint8Array(buffered.subarray(0, size));
    buffered = buffered.subarray(size);
    const w = waiter;
    waiter = undefined;
    failer = undefined;
    w(response);
  };
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    deliver();
  });
  const fail = (err: Error): void => {
    failer?.(new EdgewardError("EW_ERR_TPM_UNAVAILABLE", { detail: "the TPM socket closed", cause: err }));
    waiter = undefined;
    failer = undefined;
  };
  socket.on("error", fail);
  socket.on("close", () => fail(new Error("closed")));
  return {
    send(command) {
      return new Promise((resolve, reject) => {
        // A TPM that does not answer within a minute is treated as busy, like a tool that timed out.
        const timer = setTimeout(() => {
          failer?.(new EdgewardError("EW_ERR_TPM_BUSY", { detail: "no response from the TPM within 60 s" }));
          socket.destroy();
        }, 60_000);
        waiter = (r) => {
          clearTimeout(timer);
          resolve(r);
        };
        failer = (e) => {
          clearTimeout(timer);
          reject(e);
        };
        socket.write(command);
      });
    },
    close() {
      return new Promise((resolve) => {
        socket.once("close", () => resolve());
        socket.end();
        socket.destroy();
      });
    },
  };
}

async function openDevice(path: string): Promise<TpmTransport> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r+");
  } catch (err) {
    const busy = err instanceof Error && "code" in err && err.code === "EBUSY";
    throw new EdgewardError(busy ? "EW_ERR_TPM_BUSY" : "EW_ERR_TPM_UNAVAILABLE", { detail: path, cause: err });
  }
  return {
    async send(command) {
      // The TPM character device takes one whole command per write and returns one whole response per read.
      await fh.write(command);
      const buf = Buffer.alloc(MAX_RESPONSE);
      const { bytesRead } = await fh.read(buf, 0, MAX_RESPONSE, null);
      return new Uint8Array(buf.subarray(0, bytesRead));
    },
    close: () => fh.close(),
  };
}
