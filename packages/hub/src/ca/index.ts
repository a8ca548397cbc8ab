// The hub's device CA, device identity on TLS connections, and the deny list (promise 4).
export {
  createDeviceCa,
  DEFAULT_DEVICE_CERT_LIFETIME_MS,
  DEVICE_URI_PREFIX,
  DeviceCa,
  type DeviceCaFiles,
  type IssuedCertificate,
} from "./device-ca.ts";
export { parseDeviceCsr } from "./csr.ts";
export { deviceIdFromSan, deviceTlsOptions, peerDeviceId } from "./peer.ts";
export { DenyList, type DeviceStateLookup } from "./deny-list.ts";
