# Sourced by the CLI tests (tests/cli/*_cli.sh): the pass/fail counters and the two assertions.
# The sourcing script sets $bin (the program under test) first and ends with `cli_summary NAME`.
failures=0 passed=0

# expect NAME EXIT_CODE FRAGMENT -- ARGS...: $bin ARGS exits with EXIT_CODE and its output
# (stdout and stderr) contains FRAGMENT.
expect() {
  local name="$1" code="$2" fragment="$3"; shift 4
  local out; out=$("$bin" "$@" 2>&1); local rc=$?
  if [ "$rc" -eq "$code" ] && grep -qF -- "$fragment" <<<"$out"; then passed=$((passed + 1))
  else echo "FAIL: $name: exit $rc (expected $code), output: $out"; failures=$((failures + 1)); fi
}

# check NAME COMMAND...: passes when COMMAND succeeds.
check() {
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failures=$((failures + 1)); fi
}

# cli_summary NAME: prints the counts; its status is the test's (0 when nothing failed).
cli_summary() {
  echo "$1: $passed passed, $failures failed"
  [ "$failures" -eq 0 ]
}
