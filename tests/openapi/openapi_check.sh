#!/usr/bin/env bash
# The OpenAPI checks of issue 5 acceptance f, run by ctest (tests/openapi/CMakeLists.txt,
# tests/e2e/CMakeLists.txt). The npm tools are in tools/openapi/node_modules, installed by
# scripts/install-deps (npm ci); nothing is fetched here, so the checks run offline.
#
#   openapi_check.sh lint                 redocly lint api/openapi.yaml (recommended rules; a
#                                         warning fails too)
#   openapi_check.sh reset DIR            empties the e2e capture directory (fixture setup)
#   openapi_check.sh responses DIR TESTS  validates the e2e replies captured in DIR; TESTS: the
#                                         registered e2e test names, comma-separated
#   openapi_check.sh selftest             the validator rejects bad captures
set -euo pipefail
root=${IOTREG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tools=$root/tools/openapi
spec=$root/api/openapi.yaml

need_tools() {
  if ! command -v node >/dev/null; then
    echo "openapi_check: node is not installed: run scripts/install-deps" >&2
    exit 1
  fi
  if [[ ! -f $tools/node_modules/.iotreg-installed || ! -f $tools/node_modules/@redocly/cli/bin/cli.js ]]; then
    echo "openapi_check: $tools/node_modules is missing or stale: run scripts/install-deps (npm ci)" >&2
    exit 1
  fi
}

case ${1:-} in
  lint)
    need_tools
    # Offline: no telemetry, no update check.
    out=$(cd "$root" && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1 \
      node "$tools/node_modules/@redocly/cli/bin/cli.js" lint --config "$root/redocly.yaml" "$spec" 2>&1) || {
      printf '%s\n' "$out"
      exit 1
    }
    printf '%s\n' "$out" | grep -v '[║╔╚]'
    if grep -qiE 'You have [0-9]+ warning' <<<"$out"; then
      echo "openapi_check: the lint has warnings; fix them (or justify turning a rule off in redocly.yaml)"
      exit 1
    fi
    ;;
  reset)
    rm -rf -- "${2:?capture directory}"
    mkdir -p -- "$2"
    ;;
  responses)
    need_tools
    exec node "$tools/validate-responses.mjs" --spec "$spec" --captures "${2:?capture directory}" \
      --expect-tests "${3:-}"
    ;;
  selftest)
    need_tools
    exec node "$tools/selftest.mjs" "$spec"
    ;;
  *)
    echo "usage: $0 lint | reset DIR | responses DIR TESTS | selftest" >&2
    exit 2
    ;;
esac
