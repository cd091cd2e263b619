#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need (idempotent).
set -euo pipefail
packages=(
    cmake ninja-build g++ pkg-config clang-format
    libsecp256k1-dev libssl-dev libgmp-dev
    nlohmann-json3-dev robin-map-dev libgtest-dev libgmock-dev
    liblmdb-dev libboost-dev libtomlplusplus-dev libsodium-dev nodejs
    # anvil's state files are gzip (src/chain/gzip.cpp)
    zlib1g-dev
    # tests/fuzz: libFuzzer, a clang whose <expected> works, llvm-symbolizer for crash stacks
    clang-19 libclang-rt-19-dev llvm-19
    # tests/dashboard: the page in a real browser (driven by npm playwright-core)
    chromium
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's nodejs ships npm separately; other builds of nodejs carry it.
if ! command -v npm >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm
fi
# npm packages: solc for the contracts the node embeds, viem and Hardhat for the tests.
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
fi
