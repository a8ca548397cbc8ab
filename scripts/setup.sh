#!/bin/sh
# Installs what Edgeward needs, on a Debian machine that has only its system Node.js and npm; idempotent, and
# quick when everything is already there. Called by `npm run demo` and `npm test` (README, Quick start).
#   - npm packages, Node.js 24 among them (the devDependency `node`), when the lock file changed;
#   - age, swtpm, swtpm-tools, tpm2-tools, openssl, strace, systemd-analyze, util-linux and PostgreSQL through apt
#     when missing (tests use them as the second implementation, the real TPM and an outside observer of file
#     writes; ARCHITECTURE.md, "Rules that hold everywhere");
#   - nftables and iproute2 (egress rulesets checked with nft -c and loaded in a test's own network namespace) and
#     chromium (the audit's HTML report rendered headless).
set -eu
cd "$(dirname "$0")/.."

missing=""
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need age age
need age-keygen age
need swtpm swtpm
need swtpm_setup swtpm-tools
need tpm2_quote tpm2-tools
need openssl openssl
need strace strace
need nft nftables
need ip iproute2
need chromium chromium
need systemd-analyze systemd
# The output-file tests offer devices as -o inside a private mount namespace (unshare -m, mknod on a tmpfs).
need unshare util-linux
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
# Fashion-MNIST (MIT), the guard's calibration and test data (docs/guard.md); the IDX files land in /usr/share/datasets.
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || missing="$missing dataset-fashion-mnist"
# PyTorch only to retrain the guard's models or regenerate bench/guard's white-box attacks; the tests never need it.
if [ "${EDGEWARD_TRAINING:-0}" = 1 ] && ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  missing="$missing python3-torch"
fi

if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "edgeward setup: missing Debian packages:$missing — install them as root: apt-get install -y$missing" >&2
    exit 1
  fi
  echo "edgeward setup: installing Debian packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

stamp=node_modules/.edgeward-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/node ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "edgeward setup: installing npm packages (npm ci)" >&2
  # onnxruntime-node's postinstall would download CUDA files, which fails offline (ARCHITECTURE.md machine notes).
  npm_config_onnxruntime_node_install=skip npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

major=$(node_modules/.bin/node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 24 ]; then
  echo "edgeward setup: node_modules/.bin/node is Node $major; Edgeward needs Node 24 (npm ci should have installed it)" >&2
  exit 1
fi
