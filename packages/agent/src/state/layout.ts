/**
 * The agent's state directory (docs/agent.md, "State directory"). Everything in it is either public (TPM public
 * areas, certificates, the device's log) or useless off this TPM and outside its boot state (TPM-wrapped blobs, age
 * ciphertext, age headers wrapped to the TPM key). Nothing secret is ever written here in the clear.
 *
 * ```
 * STATE/                     0700
 *   device.json              enrolment: device id, hub URL, AK public, unwrap key (TPM-wrapped), sealed mTLS and
 *                            log keys (TPM-sealed under the PCR policy), EK type, recipient
 *   cert.pem, hub-ca.pem     the device certificate the hub issued, and the hub CA it trusts
 *   hub.json                 the hub's URL and log verifier key, pinned at enrolment
 *   status.json              last attestation, certificate expiry, current release, floor (what `agent status` shows)
 *   tamper.json              present once a tamper event fired: source, time, details
 *   releases/ID/payload.age  a release's age payload (ciphertext), as TUF's target
 *   releases/ID/header.age   its age header re-wrapped to this device's TPM key (deleted on tamper)
 *   releases/ID/release.json name, version, floor, TUF length+hash, OMS bundle
 *   current.json             which release serves, and the previous one kept for rollback
 *   log/device-log.db        the device's own Merkle log (SQLite)
 *   tuf/                     trusted TUF metadata (tuf-js's metadata directory)
 * ```
 */
import { join } from "node:path";
import { EdgewardError } from "@edgeward/core";

/** The paths inside one state directory. */
export interface StateLayout {
  readonly root: string;
  readonly device: string;
  readonly certificate: string;
  readonly hubCa: string;
  readonly hub: string;
  readonly status: string;
  readonly tamper: string;
  readonly releases: string;
  readonly current: string;
  readonly logDir: string;
  readonly log: string;
  readonly tuf: string;
  /** The directory of one release. */
  release(id: string): { dir: string; payload: string; header: string; meta: string };
}

const RELEASE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The layout of the state directory at `root`. */
export function stateLayout(root: string): StateLayout {
  const releases = join(root, "releases");
  return {
    root,
    device: join(root, "device.json"),
    certificate: join(root, "cert.pem"),
    hubCa: join(root, "hub-ca.pem"),
    hub: join(root, "hub.json"),
    status: join(root, "status.json"),
    tamper: join(root, "tamper.json"),
    releases,
    current: join(root, "current.json"),
    logDir: join(root, "log"),
    log: join(root, "log", "device-log.db"),
    tuf: join(root, "tuf"),
    release(id: string) {
      // A release id comes from the hub: never let it name a path outside releases/.
      if (!RELEASE_ID.test(id) || id === "." || id === "..")
        throw new EdgewardError("EW_ERR_AGENT_HUB_RESPONSE", { detail: "invalid release id" });
      const dir = join(releases, id);
      return {
        dir,
        payload: join(dir, "payload.age"),
        header: join(dir, "header.age"),
        meta: join(dir, "release.json"),
      };
    },
  };
}
