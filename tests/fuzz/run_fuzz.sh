#!/usr/bin/env bash
# run_fuzz.sh BUILD_DIR SECONDS: configures (clang-16, ASan+UBSan, libFuzzer) and builds only the
# fuzz targets in BUILD_DIR, then runs dns_message_fuzz for SECONDS on a copy of the seed corpus.
# Exits non-zero on any crash, leak, sanitizer report, timeout or invariant violation; the input
# that failed is kept in BUILD_DIR/artifacts/ and the reproduction command printed.
# Env: IOTREG_FUZZ_JOBS (build parallelism, default 2), IOTREG_FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail

if (($# != 2)) || ! [[ $2 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$1
seconds=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
cc=${IOTREG_FUZZ_CC:-clang-16}
cxx=${IOTREG_FUZZ_CXX:-clang++-16}
command -v "$cxx" >/dev/null || { echo "run_fuzz: $cxx not found (scripts/install-deps installs it)" >&2; exit 2; }

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f $build/CMakeCache.txt ]]; then
  # -fsanitize=fuzzer-no-link: coverage instrumentation for everything the target links
  # (iotreg_dns); the target itself links with -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt).
  CC=$cc CXX=$cxx nice -n 19 cmake -S "$src" -B "$build" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOTREG_SANITIZE=ON -DIOTREG_FUZZ=ON \
    -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link \
    -DIOTREG_WERROR="${IOTREG_FUZZ_WERROR:-ON}" >"$build.configure.log" 2>&1 ||
    { cat "$build.configure.log" >&2; exit 1; }
fi
nice -n 19 cmake --build "$build" --target dns_message_fuzz -j "${IOTREG_FUZZ_JOBS:-2}"

fuzzer=$build/tests/fuzz/dns_message_fuzz
run=$build/run
rm -rf "$run"
mkdir -p "$run/corpus" "$build/artifacts"
cp "$src"/tests/fuzz/corpus/dns/* "$run/corpus/"

# halt_on_error etc.: any ASan/UBSan/LSan report ends the run with a non-zero status.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
set +e
# shellcheck disable=SC2086  # IOTREG_FUZZ_ARGS is a list of flags
nice -n 10 "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/" ${IOTREG_FUZZ_ARGS:-} "$run/corpus" \
  2>&1 | tee "$run/fuzz.log" | grep -v -E '^#[0-9]+\s+(NEW|REDUCE|pulse)' 
rc=${PIPESTATUS[0]}
set -e
if ((rc != 0)) || grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|INVARIANT VIOLATED' "$run/fuzz.log"; then
  echo "run_fuzz: FAILED (exit $rc); artifacts in $build/artifacts/, log $run/fuzz.log" >&2
  echo "run_fuzz: reproduce with: $fuzzer $build/artifacts/<file>" >&2
  exit 1
fi
echo "run_fuzz: $seconds s without a finding ($(grep -c . <(ls "$run/corpus")) corpus entries)"
