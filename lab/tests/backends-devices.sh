#!/usr/bin/env bash
# Runs the Backends suites in the guest as root, where loop devices and the
# device-mapper `error` target exist (this machine's kernel lacks dm), so the
# tests that skip on the host ("no device-mapper") run for real here.
set -euo pipefail
BUNDLE=${TEST_BUNDLE:-.build/debug/nvmf-targetPackageTests.xctest}
[ -x "$BUNDLE" ] || { echo "no test bundle at $BUNDLE: run 'swift build --build-tests' on the host first"; exit 1; }
export LD_LIBRARY_PATH=/opt/swift/usr/lib/swift/linux${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
modprobe loop 2>/dev/null || true
modprobe dm_mod 2>/dev/null || true
command -v dmsetup >/dev/null || { echo "dmsetup missing in the guest image"; exit 1; }
log=$(mktemp)
rc=0
"$BUNDLE" --testing-library swift-testing --filter 'BackendsTests' 2>&1 | tee "$log" || rc=$?
out=$(cat "$log")
[ $rc = 0 ] || exit 1
echo "$out" | grep -Eq "Test run with [1-9][0-9]* tests? .*passed" || { echo "the Backends suites did not all pass"; exit 1; }
# The point of running here: the device tests must not have been skipped.
if echo "$out" | grep -i "skipped" | grep -Eiq "loop|device-mapper|dm "; then
  echo "a loop/dm test was skipped in the guest"; exit 1
fi
