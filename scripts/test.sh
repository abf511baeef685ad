#!/usr/bin/env bash
# Run the tracklog test suite in the *current* Python environment (activate a venv first):
#   0. Debian's postgresql, git and chromium, if missing (needs root)
#   1. pip install -e ".[test]"   2. ruff check + ruff format --check
#   3. lint-imports: the import-layer contracts in pyproject.toml
#   4. mypy: the type checker on the whole package ([tool.mypy] in pyproject.toml)
#   5. eslint on the web UI's JavaScript, if npm is installed
#   6. node --test on the web UI's unit tests (tests/ui/js), if node is installed
#   7. pytest -n auto "$@": one worker per core (pytest-xdist)
# Works from any directory. Extra arguments are passed to pytest, e.g.
#   bash scripts/test.sh tests/test_pg_fixture.py -x
# The exit status is that of the first failing phase (pytest's own code for test failures;
# pytest's 5, "no tests collected", is reported as a failure on purpose).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

_now_us() { local t=${EPOCHREALTIME//[.,]/}; echo "$((10#$t))"; }
_TIMINGS=()
_SCRIPT_START=$(_now_us)

# phase NAME COMMAND...: run COMMAND, print its duration, and return its exit status.
phase() {
    local name=$1 rc=0 start elapsed status
    shift
    echo "==> [$name] $*"
    start=$(_now_us)
    "$@" || rc=$?
    elapsed=$(($(_now_us) - start))
    status=ok
    ((rc == 0)) || status="FAILED (exit $rc)"
    elapsed=$(printf '%d.%02ds' $((elapsed / 1000000)) $((elapsed / 10000 % 100)))
    _TIMINGS+=("$(printf '%-8s %8s  %s' "$name" "$elapsed" "$status")")
    echo "==> [$name] $status in $elapsed"
    return "$rc"
}

_summary() {
    local total=$(($(_now_us) - _SCRIPT_START))
    echo "==> timings (scripts/test.sh):"
    printf '    %s\n' "${_TIMINGS[@]}"
    total=$(printf '%d.%02ds' $((total / 1000000)) $((total / 10000 % 100)))
    printf '    %-8s %8s\n' total "$total"
}
trap _summary EXIT

# The PostgreSQL tests start their own server from Debian's postgresql binaries; the web UI's
# tests drive Debian's chromium.
debian_packages() {
    local missing=()
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
    command -v git >/dev/null || missing+=(git)
    command -v chromium >/dev/null || missing+=(chromium)
    if ((${#missing[@]} == 0)); then
        echo "nothing to install (postgresql, git and chromium present)"
        return 0
    fi
    if ((EUID != 0)); then
        echo "error: ${missing[*]} missing; run as root to install them" >&2
        return 1
    fi
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

phase apt debian_packages
phase install python3 -m pip install -q -e ".[test]"
phase lint python3 -m ruff check .
phase format python3 -m ruff format --check .
phase imports lint-imports
phase types python3 -m mypy
# eslint is a dev tool from npm (package.json): linted where npm is installed, skipped elsewhere.
js_lint() {
    if ! command -v npm >/dev/null; then
        echo "skipped: npm not installed"
        return 0
    fi
    npm ci --no-audit --no-fund --loglevel=error && npm run --silent lint
}
phase eslint js_lint
# The web UI's pure modules have unit tests for node's own runner (no npm package needed); they
# check the UI against the tracklog just installed, through python3 (tests/ui/js/oracle.py).
js_test() {
    if ! command -v node >/dev/null; then
        echo "skipped: node not installed"
        return 0
    fi
    node --test tests/ui/js/*.test.js
}
phase node js_test
# One pytest worker per core (pytest-xdist); `-n 0` among the arguments runs them in this process.
phase pytest python3 -m pytest -q -n auto "$@"
