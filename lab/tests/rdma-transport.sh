#!/bin/sh
# RdmaTransport lab tests in the guest: unit tests plus RdmaTransportLabTests
# (kernel initiator end to end over Soft-RoCE, bad CM connect requests).
#
#   swift build --build-tests                 # on the host (./test.sh does this)
#   lab/run lab/tests/rdma-transport.sh [FILTER [TEST_BUNDLE]]
#
# TEST_BUNDLE (or RDMA_TEST_BINARY) overrides the test bundle, e.g. a scratch
# path of your own: .build-rdma/debug/nvmf-targetPackageTests.xctest.
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
: "${LAB_RDMA_IP:?run me through lab/run}"
export NVMF_LAB_DEVICE="${NVMF_LAB_DEVICE:-${LAB_RDMA_DEV:-rxe0}}"
export NVMF_LAB_ADDRESS="${NVMF_LAB_ADDRESS:-$LAB_RDMA_IP}"
export LD_LIBRARY_PATH=/opt/swift/usr/lib/swift/linux${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
ulimit -l unlimited
binary=${2:-${RDMA_TEST_BINARY:-$REPO/.build/debug/nvmf-targetPackageTests.xctest}}
echo "rdma transport lab tests on $NVMF_LAB_DEVICE ($NVMF_LAB_ADDRESS) with $binary"
status=0
"$binary" --testing-library swift-testing --filter "${1:-RdmaTransportTests}" || status=$?
dmesg | grep -iE "nvme|rdma|rxe" | tail -40 || true
exit $status
