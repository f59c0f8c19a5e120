#!/usr/bin/env bash
# Check that the real Claude Code CLI accepts this repository as a plugin and connects to
# its MCP server, from a fresh clone and with a HOME of its own:
#
#   claude plugin validate --strict <clone>
#   claude plugin marketplace add <clone>
#   claude plugin install task-journal@task-journal-mcp   (it must copy a few MB at most,
#                            though the clone holds a .venv and caches, as a used one does)
#   claude plugin details    (it must count the plugin's MCP server)
#   claude mcp list          (in a new project: the plugin's server must be Connected)
#
# Claude Code (npm @anthropic-ai/claude-code, pinned below) is installed with npm into
# .claude-check/ (git-ignored), never globally; CLAUDE_BIN names another claude to use
# instead. None of these commands needs a login. The clone is of the committed HEAD, so
# commit first. The plugin makes its Python environment on its first start (see
# scripts/plugin_launcher.py), so pip must reach a package index. Exit status 0 when every
# step passed and the server is Connected.
set -euo pipefail

CLAUDE_PACKAGE="@anthropic-ai/claude-code@2.1.197"
# A plugin install copies the plugin's folder: a few MB at most, whatever the clone holds.
MAX_COPIED_KIB=$((5 * 1024))
PLUGIN="task-journal"
MARKETPLACE="task-journal-mcp"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.claude-check"

claude="${CLAUDE_BIN:-}"
if [[ -z "$claude" ]]; then
    stamp="$cache/installed"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$CLAUDE_PACKAGE" ]]; then
        if ! command -v npm >/dev/null; then
            echo "claude-check: npm is needed to install $CLAUDE_PACKAGE" >&2
            exit 2
        fi
        echo "claude-check: installing $CLAUDE_PACKAGE into $cache" >&2
        mkdir -p "$cache"
        npm install --prefix "$cache" --no-audit --no-fund --loglevel=error "$CLAUDE_PACKAGE" >&2
        echo "$CLAUDE_PACKAGE" >"$stamp"
    fi
    claude="$cache/node_modules/.bin/claude"
fi
# .ci/run installs the CLI this way, so that the suite's plugin test finds it.
if [[ -n "${CLAUDE_CHECK_INSTALL_ONLY:-}" ]]; then
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
clone="$work/clone"
project="$work/project"
git clone --quiet "$root" "$clone"
mkdir -p "$work/home" "$project"
git -C "$project" init --quiet
# What a clone that has run `make test` holds besides its files (a user installs from
# such a clone): the install must copy none of it.
mkdir -p "$clone/.venv/lib" "$clone/.pytest_cache" "$clone/.claude-check" "$clone/server/__pycache__"
head -c $((64 * 1024 * 1024)) /dev/zero >"$clone/.venv/lib/big"
head -c $((8 * 1024 * 1024)) /dev/zero >"$clone/.claude-check/big"
echo "claude-check: the clone holds $(du -sh "$clone" | cut -f1), .venv and caches included"

# A HOME of its own, and none of the caller's Claude Code or journal settings.
# MCP_TIMEOUT: the plugin's first start installs its dependencies, which takes about
# 10 s on an idle machine but over Claude Code's default 30 s on a loaded one (the
# README says so for users too); the check is of the plugin, not of the machine's load.
run_claude() {
    env -u CLAUDE_CONFIG_DIR -u TASK_JOURNAL_PATH -u TASK_JOURNAL_DATA_DIR \
        -u TASK_JOURNAL_PYTHON -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_CACHE_HOME \
        HOME="$work/home" MCP_TIMEOUT="${MCP_TIMEOUT:-120000}" "$claude" "$@"
}

step() {
    echo
    echo "\$ claude $*"
}

echo "claude-check: Claude Code $(run_claude --version), clone of $(git -C "$clone" rev-parse --short HEAD)"
step plugin validate --strict "<clone>"
run_claude plugin validate --strict "$clone"
step plugin marketplace add "<clone>"
run_claude plugin marketplace add "$clone"
step plugin install "$PLUGIN@$MARKETPLACE"
run_claude plugin install "$PLUGIN@$MARKETPLACE"
plugins_cache="$work/home/.claude/plugins/cache"
copied_kib="$(du -sk "$plugins_cache" | cut -f1)"
echo "claude-check: the install copied $((copied_kib / 1024)).$(((copied_kib % 1024) * 10 / 1024)) MB" \
    "($(find "$plugins_cache" -type f | wc -l) files) into ~/.claude/plugins/cache"
step plugin details "$PLUGIN@$MARKETPLACE"
details="$(run_claude plugin details "$PLUGIN@$MARKETPLACE")"
echo "$details"
step mcp list "(in a new project)"
listing="$(cd "$project" && run_claude mcp list)"
echo "$listing"
if ! grep -F "plugin:$PLUGIN:$PLUGIN:" <<<"$listing" | grep -q Connected; then
    # The first start installs the plugin's dependencies, which goes on after Claude Code
    # stops waiting (60 s for initialize, however long MCP_TIMEOUT) on a loaded machine;
    # as /mcp would, connect again once it is done.
    stamp="$(find "$work/home/.claude/plugins/data" -name task-journal-stamp -print -quit)"
    for _ in $(seq 300); do
        [[ -n "$stamp" ]] && break
        sleep 1
        stamp="$(find "$work/home/.claude/plugins/data" -name task-journal-stamp -print -quit)"
    done
    echo "claude-check: the first start was still installing; once done, again:"
    listing="$(cd "$project" && run_claude mcp list)"
    echo "$listing"
fi

failed=0
if ((copied_kib > MAX_COPIED_KIB)); then
    echo "claude-check: FAILED: the install copied over $((MAX_COPIED_KIB / 1024)) MB" >&2
    failed=1
fi
if ! grep -q "MCP servers (1)" <<<"$details"; then
    echo "claude-check: FAILED: plugin details does not count the plugin's MCP server" >&2
    failed=1
fi
line="$(grep -F "plugin:$PLUGIN:$PLUGIN:" <<<"$listing" || true)"
if [[ "$line" != *Connected* ]]; then
    echo "claude-check: FAILED: the plugin's MCP server is not Connected" >&2
    failed=1
fi
if ((failed)); then
    exit 1
fi
echo
echo "claude-check: ok: the install copied $((copied_kib / 1024)).$(((copied_kib % 1024) * 10 / 1024)) MB," \
    "plugin details counts its MCP server, and the server is Connected"
