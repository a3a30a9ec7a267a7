#!/bin/sh
# action.yml, step `resolve`: which release to install, from where, into which (cached) directory.
# In:  INPUT_VERSION, INPUT_RELEASE_URL, ACTION_REF, ACTION_REPOSITORY, RUNNER_OS, RUNNER_ARCH,
#      RUNNER_TOOL_CACHE (else RUNNER_TEMP), GITHUB_OUTPUT
# Out: version, base, dir, cacheable, cache-key (in $GITHUB_OUTPUT)
set -eu

version=${INPUT_VERSION:-}
if [ -z "$version" ]; then
  # The action's own tag when it names one release (v1.2.3, v1.2.3-rc.1); a major tag such as v0,
  # a branch or a commit names none, so the latest release is taken.
  case "${ACTION_REF:-}" in
    v[0-9]*.[0-9]*.[0-9]*) version=$ACTION_REF ;;
    *) version=latest ;;
  esac
fi

if [ -n "${INPUT_RELEASE_URL:-}" ]; then
  base=$INPUT_RELEASE_URL
elif [ "$version" = latest ]; then
  base="https://github.com/${ACTION_REPOSITORY}/releases/latest/download"
else
  base="https://github.com/${ACTION_REPOSITORY}/releases/download/$version"
fi

# "latest" moves, so only a named version is cached.
cacheable=true
[ "$version" = latest ] && cacheable=false
dir="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/agent-exec/$version/${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}"

{
  echo "version=$version"
  echo "base=$base"
  echo "dir=$dir"
  echo "cacheable=$cacheable"
  echo "cache-key=agent-exec-$version-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}"
} >>"$GITHUB_OUTPUT"
