#!/usr/bin/env bash
# The whole test suite (the README's second command; CI runs it):
#   1. installs what the build and the lab need (Debian packages),
#   2. swift build and swift test on the host (lab-only tests say they are skipped, and why),
#      the host suite again under AddressSanitizer (with LeakSanitizer) and under
#      ThreadSanitizer, and each libFuzzer harness for
#      FUZZ_SECONDS (default 35; scripts/fuzz.sh fails on any crash, hang or lost completion),
#   3. builds or reuses the lab guests and runs every lab test in a fresh guest each:
#      lab/tests/*.sh (smoke first): the Swift lab suites over rxe, the Backends device
#      suites (loop, device-mapper), nvmf-tgt end to end with the kernel initiator;
#      then lab/tests/pair/NAME.target.sh with NAME.host.sh in two guests on
#      their own link (lab/run-pair), for what one guest cannot stage.
#      Both guest kernels, because rxe changed shape between them: Debian 12's 6.1
#      runs a user QP's send work inline in ibv_post_send, Debian 13's 6.12 on a
#      workqueue. LAB_SUITES="bookworm" (or "trixie") runs one.
# Needs root for apt, debootstrap and QEMU's 9p shares. Exit status: 0 only if all passed.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh all

echo "== swift build (debug, with tests)"
swift build --build-tests
echo "== swift test (host)"
swift test --skip-build
echo "== swift test under AddressSanitizer and LeakSanitizer (host)"
# Suppressed: only allocations the toolchain's XCTest and Foundation keep until exit (Tests/lsan.supp).
swift build --build-tests --sanitize=address --scratch-path .build-asan
ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions="$PWD/Tests/lsan.supp" \
  swift test --skip-build --sanitize=address --scratch-path .build-asan
echo "== swift test under ThreadSanitizer (host)"
swift build --build-tests --sanitize=thread --scratch-path .build-tsan
TSAN_OPTIONS=halt_on_error=1 swift test --skip-build --sanitize=thread --scratch-path .build-tsan
echo "== fuzzers (libFuzzer + ASan, bounded; scripts/fuzz.sh)"
scripts/fuzz.sh "${FUZZ_SECONDS:-35}"
echo "== nvmf-tgt, nvmf-rpc and nvmf-perf release builds (static Swift stdlib, for the lab guest)"
swift build -c release --static-swift-stdlib --product nvmf-tgt
swift build -c release --static-swift-stdlib --product nvmf-rpc
swift build -c release --static-swift-stdlib --product nvmf-perf

failed=()
lab_log=$(mktemp)
failure_lines=$(mktemp)
trap 'rm -f "$lab_log" "$failure_lines"' EXIT
# The lines worth repeating under the summary: swift-testing's and the scripts'
# failures, lab/run's own ("the guest stopped without an exit code"), kernel oopses.
failure_pattern='✘|FAIL|not ok|Fatal error|error:|lab/run(-pair)?( \((target|host)\))?: |Oops|panic'
for suite in ${LAB_SUITES:-bookworm trixie}; do
  export LAB_SUITE="$suite"
  echo "== lab guest ($suite)"
  t0=$(date +%s)
  # The Ceph image (trixie only) is built here too when a lab test asks for it
  # ("# lab-image: ceph"), so its cost shows in this line, not in a test's time.
  image_args=()
  if [ "$suite" = trixie ] && grep -qs '^# lab-image: ceph' lab/tests/*.sh; then image_args=(--with-ceph); fi
  lab/build-image.sh ${image_args[@]+"${image_args[@]}"}
  echo "lab image ($suite) ready in $(( $(date +%s) - t0 )) s"
  run_lab() {
    echo "== lab ($suite): $*"
    if ! lab/run "$@" 2>&1 | tee "$lab_log"; then
      failed+=("$suite: $*")
      # CI shows only the end of the log: keep each failure's own lines for the summary.
      grep -E "$failure_pattern" "$lab_log" | head -20 | sed "s|^|  $suite $1: |" >> "$failure_lines" || true
    fi
  }
  run_lab lab/tests/smoke.sh
  for t in lab/tests/*.sh; do
    [ "$t" = lab/tests/smoke.sh ] && continue
    # A test that says "# lab-suites: trixie" (for example) runs on those guests only:
    # the control-plane tests do not depend on the kernel's rxe, and the time budget is tight.
    only=$(sed -n 's/^# lab-suites: //p' "$t")
    if [ -n "$only" ] && [[ " $only " != *" $suite "* ]]; then
      echo "== lab ($suite): $t skipped (runs on: $only)"
      continue
    fi
    run_lab "$t"
  done
  # Two-machine tests: a target guest and a host guest on their own link.
  for t in lab/tests/pair/*.target.sh; do
    echo "== lab ($suite, two guests): $t"
    if ! lab/run-pair "$t" "${t%.target.sh}.host.sh" 2>&1 | tee "$lab_log"; then
      failed+=("$suite: $t (two guests)")
      grep -E "$failure_pattern" "$lab_log" | head -20 | sed "s|^|  $suite $t: |" >> "$failure_lines" || true
    fi
  done
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED lab tests: ${failed[*]}"
  cat "$failure_lines"
  exit 1
fi
echo "all tests passed"
