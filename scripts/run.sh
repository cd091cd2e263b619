#!/usr/bin/env bash
# The main job: krnld serving the three dev chains of config/dev.toml (31337, 31338, 31339).
# Extra arguments go to krnld (e.g. --data-dir DIR, --block-time MS).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
exec build/src/node/krnld --config config/dev.toml "$@"
