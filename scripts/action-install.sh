#!/bin/sh
# action.yml, step `install`: installs the binary into AE_DIR with install.sh (download, SHA-256
# check, install) unless the cache restored it, puts AE_DIR on PATH, and reports path and version.
# In:  AE_DIR, AE_BASE, AE_CACHE_HIT ("true" when restored), GITHUB_ACTION_PATH, GITHUB_OUTPUT, GITHUB_PATH
set -eu

exe=
case "$(uname -s)" in MINGW* | MSYS* | CYGWIN*) exe=.exe ;; esac
bin="$AE_DIR/agent-exec$exe"

if [ "${AE_CACHE_HIT:-}" != true ] || [ ! -x "$bin" ]; then
  AGENT_EXEC_RELEASE_URL=$AE_BASE AGENT_EXEC_INSTALL=$AE_DIR sh "$GITHUB_ACTION_PATH/scripts/install.sh" >/dev/null
fi

# `agent-exec 0.2.0+9028c9977d16` -> 0.2.0+9028c9977d16; a binary that cannot run fails the step here.
version=$("$bin" --version)
version=${version#agent-exec }
echo "$AE_DIR" >>"$GITHUB_PATH"
{
  echo "path=$bin"
  echo "version=$version"
} >>"$GITHUB_OUTPUT"
echo "agent-exec $version at $bin" >&2
