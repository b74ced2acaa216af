#!/usr/bin/env bash
# Starts (or reuses) a private PostgreSQL under ${IOTREG_PGTEST_DIR:-/tmp/iotreg-pgtest} and runs
# pg_tests from BUILD_DIR against it. Extra arguments go to the test binary (Catch2 options).
#   tests/integration/run_pg_tests.sh /work/build [--stop] [catch2 args...]
# --stop stops the server afterwards.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/lib/pg.sh
source "$here/../../scripts/lib/pg.sh"

build=${1:?usage: run_pg_tests.sh BUILD_DIR [--stop] [catch2 args...]}
shift
stop=0
if [[ ${1:-} == --stop ]]; then stop=1; shift; fi

base=${IOTREG_PGTEST_DIR:-/tmp/iotreg-pgtest}
pg_local_start "$base/data" "$base/sock"
pg_local_createdb "$base/sock" iotreg_test
IOTREG_TEST_PG_DSN=$(pg_local_dsn "$base/sock" iotreg_test)
export IOTREG_TEST_PG_DSN

export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp}

bin=$(find "$build" -name pg_tests -type f -perm -u+x | head -n1)
[[ -n $bin ]] || { echo "run_pg_tests.sh: no pg_tests under $build" >&2; exit 1; }
rc=0
"$bin" "$@" || rc=$?
if ((stop)); then pg_local_stop "$base/data"; fi
exit "$rc"
