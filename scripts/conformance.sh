#!/usr/bin/env bash
# Run the server scenarios of @modelcontextprotocol/conformance against task-journal-mcp
# over Streamable HTTP, and compare the outcome with conformance/baseline.yml.
#
# Node 22 and the suite are installed with npm into .conformance/ (git-ignored), never
# globally; npm itself (any version) must be on PATH. The server runs on a free loopback
# port with a journal in a temporary folder, and is stopped on the way out. Exit status 0
# when every scenario passes or fails as the baseline says; non-zero on an unexpected
# failure, on a baseline entry that now passes, or when one of the scenarios every journal
# server must pass (server-initialize, ping, tools-list, dns-rebinding-protection) did not.
set -euo pipefail

NODE_PACKAGE="node@22.23.3"
SUITE_PACKAGE="@modelcontextprotocol/conformance@0.1.16"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.conformance"
baseline="$root/conformance/baseline.yml"
venv="${VENV:-$root/.venv}"
python="$venv/bin/python"
server="$venv/bin/task-journal-mcp"

if [[ ! -x "$server" ]]; then
    echo "conformance: $server is missing; run 'make .venv/.installed' first" >&2
    exit 2
fi

# Install the pinned node and suite once; a stamp records which versions are there.
stamp="$cache/installed"
wanted="$NODE_PACKAGE $SUITE_PACKAGE"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    if ! command -v npm >/dev/null; then
        echo "conformance: npm is needed to install $NODE_PACKAGE and the suite" >&2
        exit 2
    fi
    echo "conformance: installing $wanted into $cache" >&2
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-audit --no-fund --loglevel=error \
        "$NODE_PACKAGE" "$SUITE_PACKAGE" >&2
    echo "$wanted" >"$stamp"
fi
export PATH="$cache/node_modules/.bin:$PATH"
echo "conformance: node $(node --version), suite $(conformance --version)" >&2

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port/mcp"

env -u TASK_JOURNAL_TOKEN TASK_JOURNAL_PATH="$work/events.jsonl" \
    "$server" --transport streamable-http --host 127.0.0.1 --port "$port" \
    2>"$work/server.log" &
server_pid=$!

for _ in $(seq 300); do
    if "$python" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
        "$port" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "conformance: the server exited at start:" >&2
        cat "$work/server.log" >&2
        exit 2
    fi
    sleep 0.1
done

echo "conformance: running the server scenarios against $url" >&2
rm -rf "$cache/results"
status=0
conformance server --url "$url" --expected-failures "$baseline" --output-dir "$cache/results" \
    || status=$?
if [[ $status -eq 0 ]]; then
    # The scenarios a journal server must pass, whatever the baseline says.
    "$python" - "$cache/results" "$baseline" <<'PY' || status=1
import json, pathlib, sys

results, baseline = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]).read_text()
for scenario in ("server-initialize", "ping", "tools-list", "dns-rebinding-protection"):
    runs = sorted(results.glob(f"server-{scenario}-*/checks.json"))
    checks = json.loads(runs[-1].read_text()) if runs else []
    if f"- {scenario}\n" in baseline or not checks or any(
        check["status"] != "SUCCESS" for check in checks
    ):
        sys.exit(f"conformance: required scenario {scenario} did not pass")
PY
fi
if [[ $status -ne 0 ]]; then
    echo "conformance: FAILED (status $status); the server's log:" >&2
    tail -n 50 "$work/server.log" >&2
    echo "conformance: per-scenario results are in $cache/results" >&2
fi
exit $status
