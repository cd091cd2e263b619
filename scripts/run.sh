#!/usr/bin/env bash
# The main job. Until the node exists: the state-test tool over the shared GeneralStateTests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
exec build/tests/statetest/krnl-statetest ../shared/fixtures/ethereum-tests/GeneralStateTests --fork Cancun "$@"
