#!/usr/bin/env bash
# run_fuzz.sh BUILD_DIR SECONDS [TARGET]: configures (clang-16, ASan+UBSan, libFuzzer) and builds
# only the fuzz target TARGET (dns_message_fuzz by default, or csr_fuzz) in BUILD_DIR, then runs
# it for SECONDS on a copy of its seed corpus (dns: tests/fuzz/corpus/dns; csr: made here with
# openssl, see make_csr_seeds).
# Exits non-zero on any crash, leak, sanitizer report, timeout or invariant violation; the input
# that failed is kept in BUILD_DIR/artifacts/ and the reproduction command printed.
# Env: IOTREG_FUZZ_JOBS (build parallelism, default 2), IOTREG_FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail

if (($# < 2 || $# > 3)) || ! [[ $2 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS [dns_message_fuzz|csr_fuzz]" >&2
  exit 2
fi
build=$1
seconds=$2
target=${3:-dns_message_fuzz}
case $target in
  dns_message_fuzz | csr_fuzz) ;;
  *) echo "run_fuzz: unknown target $target" >&2; exit 2 ;;
esac
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
nice -n 19 cmake --build "$build" --target "$target" -j "${IOTREG_FUZZ_JOBS:-2}"

# make_csr_seeds DIR: CSRs for csr_fuzz, each as PEM text (first octet 0x00) and as DER (0x01):
# every allowed key type, refused ones, CA requests, SANs, and a few broken encodings.
make_csr_seeds() {
  local dir=$1 tmp
  tmp=$(mktemp -d)
  local -a keys=(
    "p256:-algorithm EC -pkeyopt ec_paramgen_curve:P-256"
    "p384:-algorithm EC -pkeyopt ec_paramgen_curve:P-384"
    "k256:-algorithm EC -pkeyopt ec_paramgen_curve:secp256k1"
    "ed25519:-algorithm ED25519"
    "ed448:-algorithm ED448"
    "rsa2048:-algorithm RSA -pkeyopt rsa_keygen_bits:2048"
    "rsa1024:-algorithm RSA -pkeyopt rsa_keygen_bits:1024"
  )
  local entry name n=0
  for entry in "${keys[@]}"; do
    name=${entry%%:*}
    # shellcheck disable=SC2086  # the options are a list
    openssl genpkey ${entry#*:} -out "$tmp/$name.key" 2>/dev/null || continue
    local -a variants=("plain:" "ca:-addext basicConstraints=critical,CA:TRUE"
      "kusign:-addext keyUsage=critical,keyCertSign"
      "san:-addext subjectAltName=DNS:89049032000001000000012345678901._device.iotregistry.test,DNS:x.example")
    local v vname
    for v in "${variants[@]}"; do
      vname=${v%%:*}
      # shellcheck disable=SC2086
      openssl req -new -key "$tmp/$name.key" -subj "/CN=89049032000001000000012345678901" ${v#*:}         -out "$tmp/$name-$vname.pem" 2>/dev/null || continue
      { printf '\0'; cat "$tmp/$name-$vname.pem"; } >"$dir/csr-$name-$vname-pem"
      { printf '\1'; openssl req -in "$tmp/$name-$vname.pem" -outform DER; } >"$dir/csr-$name-$vname-der"
      n=$((n + 1))
    done
  done
  openssl req -new -key "$tmp/p256.key" -subj /CN=x -sha1 -out "$tmp/sha1.pem" 2>/dev/null &&
    { printf '\1'; openssl req -in "$tmp/sha1.pem" -outform DER; } >"$dir/csr-p256-sha1-der"
  printf '\0%s' 'not a csr' >"$dir/text-garbage"
  printf '\0-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n' >"$dir/text-empty-seq"
  printf '\1\060\200\060\000\000\000' >"$dir/der-indefinite"
  rm -rf "$tmp"
  ((n > 0)) || { echo "run_fuzz: could not make CSR seeds with openssl" >&2; exit 2; }
}

fuzzer=$build/tests/fuzz/$target
run=$build/run-$target
rm -rf "$run"
mkdir -p "$run/corpus" "$build/artifacts"
if [[ $target == csr_fuzz ]]; then
  make_csr_seeds "$run/corpus"
else
  cp "$src"/tests/fuzz/corpus/dns/* "$run/corpus/"
fi

# halt_on_error etc.: any ASan/UBSan/LSan report ends the run with a non-zero status.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
set +e
# shellcheck disable=SC2086  # IOTREG_FUZZ_ARGS is a list of flags
nice -n 10 "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" ${IOTREG_FUZZ_ARGS:-} "$run/corpus" \
  2>&1 | tee "$run/fuzz.log" | grep -v -E '^#[0-9]+\s+(NEW|REDUCE|pulse)' 
rc=${PIPESTATUS[0]}
set -e
if ((rc != 0)) || grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|INVARIANT VIOLATED' "$run/fuzz.log"; then
  echo "run_fuzz: FAILED (exit $rc); artifacts in $build/artifacts/, log $run/fuzz.log" >&2
  echo "run_fuzz: reproduce with: $fuzzer $build/artifacts/<file>" >&2
  exit 1
fi
echo "run_fuzz: $seconds s without a finding ($(grep -c . <(ls "$run/corpus")) corpus entries)"
