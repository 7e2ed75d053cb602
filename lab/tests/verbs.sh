#!/usr/bin/env bash
# The Verbs suites over rxe in the guest (CM, SRQ, RDMA READ/WRITE, SEND_WITH_INV,
# completion channel, reject data, disconnects, destruction orders), from the
# test bundle `./test.sh` built with `swift build --build-tests`.
set -euo pipefail
export VERBS_TEST_BINARY="${TEST_BUNDLE:-$PWD/.build/debug/nvmf-targetPackageTests.xctest}"
[ -x "$VERBS_TEST_BINARY" ] || { echo "no test bundle at $VERBS_TEST_BINARY: run 'swift build --build-tests' first"; exit 1; }
out=$(sh lab/tests/verbs/run-tests.sh 2>&1) || { echo "$out" | tail -40; exit 1; }
echo "$out" | grep -E "Suite|Test run with" | tail -20
echo "$out" | grep -Eq "Test run with [1-9][0-9]* tests? .*passed" || { echo "the Verbs suites did not all pass"; exit 1; }
if echo "$out" | grep -q "skipped: no RDMA device"; then echo "a Verbs lab test was skipped in the guest"; exit 1; fi
