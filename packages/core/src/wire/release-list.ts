// The releases rolled out to a device's group, as the device asks for them (docs/releases.md "Following releases"):
// a hint of what to install, never an authority. The device installs a listed target only through TUF, whose
// custom metadata must name the same release (ARCHITECTURE.md flow 4 "Release and update").

/** Release names and versions as the hub's manifest allows them. */
export const RELEASE_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";
/** A release version (dotted, leading integer compared by the TPM floor). */
export const RELEASE_VERSION_PATTERN = "^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$";
/** Most releases one answer lists. */
export const MAX_DEVICE_RELEASES = 100;
/** Most seconds a device may ask the hub to hold an empty listing open (`wait`). */
export const MAX_DEVICE_RELEASES_WAIT_S = 60;

/** Query of `GET /v1/device/releases`. */
export const deviceReleasesQuerySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    name: { type: "string", pattern: RELEASE_NAME_PATTERN },
    limit: { type: "integer", minimum: 1, maximum: MAX_DEVICE_RELEASES, default: 20 },
    below: {
      type: "string",
      pattern: RELEASE_VERSION_PATTERN,
      description: "The next page: only versions below this one (the last version of the previous page)",
    },
    after: {
      type: "string",
      pattern: RELEASE_VERSION_PATTERN,
      description: "Only versions above this one (the newest the device already has)",
    },
    wait: {
      type: "integer",
      minimum: 1,
      maximum: MAX_DEVICE_RELEASES_WAIT_S,
      description:
        "A long poll: while the listing would be empty, the hub holds the request up to this many seconds and " +
        "answers as soon as a release it would list is published or rolled out (empty when the time runs out)",
    },
  },
} as const;

/** {@link deviceReleasesQuerySchema} as a type. */
export interface DeviceReleasesQuery {
  name?: string;
  limit: number;
  below?: string;
  after?: string;
  wait?: number;
}

/** One release the device's group may install. */
export const deviceReleaseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name", "version", "kind", "target", "floor"],
  properties: {
    name: { type: "string", pattern: RELEASE_NAME_PATTERN },
    version: { type: "string", pattern: RELEASE_VERSION_PATTERN },
    kind: { type: "string", enum: ["model", "package"] },
    target: { type: "string", maxLength: 129, description: "The TUF target path (NAME/VERSION)" },
    floor: { type: "string", pattern: RELEASE_VERSION_PATTERN },
  },
} as const;

/** {@link deviceReleaseSchema} as a type. */
export interface DeviceRelease {
  name: string;
  version: string;
  kind: "model" | "package";
  target: string;
  floor: string;
}

/** Response of `GET /v1/device/releases`: newest version first, at most `limit`. */
export const deviceReleasesResponseSchema = {
  type: "object",
  additionalProperties: false,
  required: ["releases"],
  properties: { releases: { type: "array", maxItems: MAX_DEVICE_RELEASES, items: deviceReleaseSchema } },
} as const;

/** {@link deviceReleasesResponseSchema} as a type. */
export interface DeviceReleasesResponse {
  releases: DeviceRelease[];
}

/** The path of the device's release listing (mTLS; a device certificate is required). */
export const DEVICE_RELEASES_PATH = "/v1/device/releases";
