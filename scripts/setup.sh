#!/usr/bin/env bash
# Installs what strongnet needs and is missing: npm packages, the ARM cross toolchain, QEMU,
# clang with its sanitizer runtime (host tests), the Fashion-MNIST dataset, and for the export
# tests cmake, the Arduino AVR toolchain (arduino-builder, arduino-core-avr) and simavr, and Debian
# chromium for the headless-browser test of the HTML report (driven by playwright-core), and
# libonnx-testdata (the ONNX node tests the importer is checked on). Safe to run
# again: it only installs what is absent. Used by `npm run demo`, `npm test` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc clang libclang-rt-dev dataset-fashion-mnist
  cmake arduino-builder arduino-core-avr simavr chromium libonnx-testdata)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ((${#missing[@]})); then
  echo "strongnet setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    echo "strongnet setup: need root to run: apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages: install when node_modules is absent or older than the lock file. onnxruntime-node
# (a dev dependency: tests compare the ONNX importer with it) ships its CPU binary in the package;
# its install script would download GPU files, so it is skipped.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "strongnet setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
