import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { randomBytes } from "node:crypto";
import { EdgewardError } from "@edgeward/core/errors";
import { formatSignedState, parseSignedState, type SignedState, type SignedStateStore } from "./state.ts";

/**
 * A {@link SignedStateStore} in a file, kept beside the signing key (where a backup of the key takes it along,
 * and a restore of the log's database does not). A write goes to a new file in the same directory, which is
 * fsynced, renamed over the old one, and the directory fsynced: after a crash the file holds either the old or the
 * new state, never a mix (POSIX rename(2) is atomic). The calls are synchronous on purpose: they run inside the
 * storage's write transaction, which another connection in the same process could otherwise wait on forever.
 */
export class FileSignedState implements SignedStateStore {
  readonly location: string;

  constructor(path: string) {
    this.location = path;
  }

  /** The state file of the signing key at `keyPath`: `<keyPath>.state`. */
  static besideKey(keyPath: string): FileSignedState {
    return new FileSignedState(`${keyPath}.state`);
  }

  read(): Promise<SignedState | undefined> {
    return new Promise((resolve) => resolve(this.#read()));
  }

  #read(): SignedState | undefined {
    let text: string;
    try {
      text = readFileSync(this.location, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw io(this.location, "cannot be read", err);
    }
    return parseSignedState(text, this.location);
  }

  write(state: SignedState): Promise<void> {
    const tmp = `${this.location}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      const fd = openSync(tmp, "wx", 0o600);
      try {
        writeSync(fd, formatSignedState(state));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.location);
      const dir = openSync(dirname(this.location), "r");
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
      return Promise.resolve();
    } catch (err) {
      rmSync(tmp, { force: true });
      return Promise.reject(io(this.location, "cannot be written", err));
    }
  }
}

function io(path: string, what: string, cause: unknown): EdgewardError {
  return new EdgewardError("EW_ERR_LOG_SIGNED_STATE", { detail: `${path} ${what}`, cause });
}
