#!/bin/sh
# Runs the VerbsTests (host tests + lab tests over Soft-RoCE) in the lab guest:
#
#   swift build --scratch-path .build-verbs --build-tests     # on the host
#   lab/run lab/tests/verbs/run-tests.sh                       # in the guest
#
# The test binary is the host build (the guest sees the repository and
# /opt/swift at the same paths). VERBS_TEST_BINARY overrides its path.
set -eu
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
. "$REPO/lab/tests/verbs/rxe.sh"
verbs_lab_rxe
echo "verbs lab tests on $NVMF_LAB_DEVICE ($NVMF_LAB_NETDEV, $NVMF_LAB_ADDRESS)"
binary=${VERBS_TEST_BINARY:-$REPO/.build-verbs/debug/nvmf-targetPackageTests.xctest}
exec "$binary" --testing-library swift-testing --filter VerbsTests
