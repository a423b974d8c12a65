#!/usr/bin/env bash
# ctest's doctest discovery keeps a test name as one CMake list item: a ';' in a TEST_CASE name
# cuts it there, and the cut name matches no case, so ctest reports a pass for a run of nothing.
# Usage (ctest runs it as tests.names): check_test_names.sh SOURCE_DIR
set -uo pipefail
cd "$1" || exit 2
bad=$(grep -rn --include='*.cpp' -E 'TEST_CASE\("[^"]*;' tests)
if [ -n "$bad" ]; then
  echo "TEST_CASE names with ';' (ctest would run nothing for them; use ',' instead):"
  echo "$bad"
  exit 1
fi
echo "check_test_names: no TEST_CASE name contains ';'"
