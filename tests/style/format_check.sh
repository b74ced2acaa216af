#!/usr/bin/env bash
# Every C++ file git tracks is formatted as .clang-format says (STYLE.md §3: CI enforces it).
set -euo pipefail
cd "${IOTREG_SOURCE_DIR:?}"
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if ((${#files[@]} == 0)); then
  echo "no C++ files found" >&2
  exit 1
fi
if ! clang-format --dry-run -Werror "${files[@]}"; then
  echo "format: run: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i" >&2
  exit 1
fi
echo "format: ${#files[@]} files formatted"
