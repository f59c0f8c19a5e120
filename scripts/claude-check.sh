#!/usr/bin/env bash
# Check that the real Claude Code CLI accepts this repository as a plugin and connects to
# its MCP server, from a fresh clone and with a HOME of its own:
#
#   claude plugin validate --strict <clone>
#   claude plugin marketplace add <clone>
#   claude plugin install task-journal@task-journal-mcp
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

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
clone="$work/clone"
project="$work/project"
git clone --quiet "$root" "$clone"
mkdir -p "$work/home" "$project"
git -C "$project" init --quiet

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
step plugin details "$PLUGIN@$MARKETPLACE"
run_claude plugin details "$PLUGIN@$MARKETPLACE"
step mcp list "(in a new project)"
listing="$(cd "$project" && run_claude mcp list)"
echo "$listing"

line="$(grep -F "plugin:$PLUGIN:$PLUGIN:" <<<"$listing" || true)"
if [[ "$line" != *Connected* ]]; then
    echo "claude-check: FAILED: the plugin's MCP server is not Connected" >&2
    exit 1
fi
echo
echo "claude-check: ok: the plugin's MCP server is Connected"
