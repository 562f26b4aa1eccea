#!/usr/bin/env bash
# Runs the official MCP conformance suite (npm @modelcontextprotocol/conformance,
# server mode; versions pinned in package.json) against `stripe-mcp http`:
#
#   1. the production binary, on the scenarios that need no fixtures;
#   2. a binary built with -tags conformance, which adds the suite's fixture
#      tools, resources and prompts (internal/conformance) to the same server
#      (same transports, middleware and audit log), on every scenario the
#      suite has, its pending ones included.
#
# Each server runs with --sandbox (in-process stripe-mock: no account, no
# network) and --no-auth, on a free loopback port, with a data dir of its own.
# The run fails if a scenario fails. A scenario may be listed in
# expected-failures.txt, one per line as `scenario-name  # why`; a listed
# scenario that passes fails the run too, so the list cannot go stale.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
started=$SECONDS

# The scenarios that test only what the production server has: the
# lifecycle, ping, logging, tools/list over its own tools, concurrent
# Streamable HTTP streams and DNS-rebinding protection. Every other scenario
# calls fixtures by name.
generic=(server-initialize logging-set-level ping tools-list server-sse-multiple-streams dns-rebinding-protection)

# expected-failures.txt: scenario -> reason.
declare -A expected=()
if [ -f "$here/expected-failures.txt" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '' | '#'*) continue ;; esac
    if [[ ! "$line" =~ ^([a-z0-9-]+)[[:space:]]+#[[:space:]]*([^[:space:]].*)$ ]]; then
      echo "expected-failures.txt: \"$line\" is not \`scenario-name  # why it fails\`" >&2
      exit 1
    fi
    expected[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
  done <"$here/expected-failures.txt"
fi

echo "== conformance suite (npm ci in .ci/conformance)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
node=$here/node_modules/node/bin/node # Node 22, which the suite needs
suite=$here/node_modules/@modelcontextprotocol/conformance/dist/index.js
echo "conformance $("$node" "$suite" --version), node $("$node" --version)"

work=$(mktemp -d)
pid=""
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

echo "== build ./cmd/stripe-mcp, without and with -tags conformance"
(cd "$root" &&
  go build -o "$work/stripe-mcp" ./cmd/stripe-mcp &&
  go vet -tags conformance ./cmd/stripe-mcp ./internal/conformance &&
  go build -tags conformance -o "$work/stripe-mcp-conformance" ./cmd/stripe-mcp)

free_port() {
  "$node" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# start NAME BINARY: serves BINARY on a free port; sets url and pid.
start() {
  local name=$1 binary=$2 port
  port=$(free_port)
  mkdir -p "$work/data-$name"
  # No STRIPE_* setting of the caller's applies: the defaults are tested.
  env $(compgen -e | grep '^STRIPE_' | sed 's/^/-u /') \
    STRIPE_MCP_DATA_DIR="$work/data-$name" \
    "$binary" http --sandbox --no-auth --listen "127.0.0.1:$port" >"$work/$name.log" 2>&1 &
  pid=$!
  url=http://127.0.0.1:$port/mcp
  for _ in $(seq 100); do
    if "$node" -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "http://127.0.0.1:$port/healthz"; then
      echo "$name: serving on 127.0.0.1:$port"
      return
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "$name: no answer on /healthz; its log:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

# stop NAME: SIGTERM, which must end the server with status 0 (SPEC §7).
stop() {
  local name=$1 status=0
  kill -TERM "$pid"
  wait "$pid" || status=$?
  pid=""
  if [ "$status" != 0 ]; then
    echo "$name: exited with status $status after SIGTERM; its log:" >&2
    cat "$work/$name.log" >&2
    exit 1
  fi
}

failures=0
# scenarios LABEL NAME...: runs each scenario against $url.
scenarios() {
  local label=$1 passed=0 failed=0 warned=0 name out status summary
  shift
  echo "== $label: $# scenarios against $url"
  for name in "$@"; do
    status=0
    out=$("$node" "$suite" server --url "$url" --scenario "$name" 2>&1) || status=$?
    summary=$(grep -o 'Passed: [0-9]*/[0-9]*, [0-9]* failed, [0-9]* warnings' <<<"$out" | tail -1)
    case "$summary" in *", 0 warnings") ;; "") ;; *) warned=$((warned + 1)) ;; esac
    if [ "$status" = 0 ] && [ -z "${expected[$name]+set}" ]; then
      printf '  ok    %-32s %s\n' "$name" "$summary"
      passed=$((passed + 1))
    elif [ "$status" != 0 ] && [ -n "${expected[$name]+set}" ]; then
      printf '  xfail %-32s %s (expected: %s)\n' "$name" "$summary" "${expected[$name]}"
      passed=$((passed + 1))
    elif [ "$status" = 0 ]; then
      printf '  FAIL  %-32s passes but is listed in expected-failures.txt: remove it\n' "$name"
      failed=$((failed + 1))
    else
      printf '  FAIL  %-32s %s\n' "$name" "${summary:-exit status $status}"
      # The failed checks, or whatever the suite said if it did not get that far.
      awk '/=== Failed Checks ===/ { f = 1; next } f && /^[^ ]/ { exit } f && NF' <<<"$out" | sed 's/^/      /' | head -40
      grep -q '=== Failed Checks ===' <<<"$out" || tail -20 <<<"$out" | sed 's/^/      /'
      failed=$((failed + 1))
    fi
  done
  echo "$label: $passed passed, $failed failed ($warned with warnings)"
  failures=$((failures + failed))
}

start production "$work/stripe-mcp"
scenarios "production binary, generic scenarios" "${generic[@]}"
stop production

start conformance "$work/stripe-mcp-conformance"
all=$("$node" "$suite" list --server | sed -n 's/^  - \([^ ]*\).*/\1/p')
[ -n "$all" ] || { echo "the suite listed no server scenarios" >&2; exit 1; }
mapfile -t all <<<"$all"
scenarios "-tags conformance binary, all scenarios" "${all[@]}"
stop conformance

# The fixtures' calls went through the audit log, as every tool call does.
audited=$(STRIPE_MCP_DATA_DIR="$work/data-conformance" "$work/stripe-mcp-conformance" --sandbox audit --json --tool test_simple_text)
if [ -z "$audited" ]; then
  echo "the audit log of the -tags conformance run has no call to test_simple_text" >&2
  failures=$((failures + 1))
fi

echo "conformance: $((SECONDS - started))s"
if [ "$failures" != 0 ]; then
  echo "conformance: FAILED" >&2
  exit 1
fi
echo "ok"
