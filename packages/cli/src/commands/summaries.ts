/**
 * What `edgeward --help` lists for each command, so the top-level help is printed without loading any command
 * module (each pulls in its packages: ONNX Runtime, the TPM driver, the log). Each line is the description the
 * command's own file registers; a test keeps the two in step.
 */
export const COMMAND_SUMMARIES: Readonly<Record<string, string>> = {
  demo: "the fleet in one command: a hub, three agents on swtpm devices, a served PP-OCR model, the attacks refused (--local: the single-machine walkthrough of sealed models)",
  keygen: "create an age identity (x25519: age1…, pq: hybrid ML-KEM-768+X25519 age1pq1…, p256: age1tag1…)",
  "sign-keygen": "create a model-signing key pair: NAME.key (PKCS#8 PEM, 0600) and NAME.pub (SPKI PEM)",
  seal: "encrypt MODEL as a standard age file for the recipients; with --sign, also write OUT.sig (OMS)",
  open: "decrypt a sealed model; -o FILE appears only after every chunk authenticated (and --verify passed)",
  verify: "check a model's OMS signature; a sealed model is opened in memory first (needs -i)",
  inspect: "show what a sealed file says about itself (recipient types, sizes, chunks); needs no key",
  run: "open a sealed model into memory (never to disk), verify it, and run one inference with ONNX Runtime",
  log: "tamper-evident audit log: RFC 6962 Merkle tree, signed C2SP checkpoints, proofs, audit",
  tpm: "the TPM: status, PCR-bound decryption keys, quotes and their verification, PCR extend, NV counter",
  egress: "generate egress rules that allow only the hub: nftables for a host, NetworkPolicy for Kubernetes",
  audit: "check this device against the ten promises and host hardening, with evidence and fixes",
  agent: "the device agent: enrol, run, status, tamper, systemd unit",
  hub: "the hub: init, serve, tokens, and the operator API's client",
  model: "publish models and packages to a hub",
  guard: "inference guard: calibrate a guard file on clean data at a target false-positive rate; check inputs",
};
