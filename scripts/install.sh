#!/bin/sh
# Installs the agent-exec binary of this machine's OS and architecture from a release:
# downloads it and SHA256SUMS, verifies the checksum, installs it, and prints its version.
#
#   AGENT_EXEC_RELEASE_URL  where the release assets are (an https:// or file:// URL, or a
#                           directory); default: the latest GitHub release of this project
#   AGENT_EXEC_INSTALL      the directory to install into; default: ~/.local/bin
set -eu

repo="__AGENT_EXEC_REPO__"
base="${AGENT_EXEC_RELEASE_URL:-https://github.com/$repo/releases/latest/download}"
dest="${AGENT_EXEC_INSTALL:-$HOME/.local/bin}"

fail() {
  echo "install.sh: $*" >&2
  exit 1
}

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  # Git for Windows' sh (GitHub's Windows runners): the experimental windows-x64 binary.
  MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) fail "unsupported OS: $(uname -s) (Linux, macOS and Windows with Git's sh are supported)" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fail "unsupported architecture: $(uname -m) (x64 and arm64 are supported)" ;;
esac
exe=
[ "$os" = windows ] && exe=.exe
asset="agent-exec-$os-$arch$exe"

# fetch URL-or-path OUTFILE
fetch() {
  case "$1" in
    http://* | https://* | file://*)
      if command -v curl >/dev/null 2>&1; then
        curl -fsSL "$1" -o "$2" || fail "download failed: $1"
      elif command -v wget >/dev/null 2>&1; then
        wget -q "$1" -O "$2" || fail "download failed: $1"
      else
        fail "need curl or wget to download $1"
      fi
      ;;
    *) cp "$1" "$2" 2>/dev/null || fail "not found: $1" ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    fail "need sha256sum or shasum to verify the download"
  fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fetch "$base/$asset" "$tmp/$asset"
fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS"
want=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$tmp/SHA256SUMS")
[ -n "$want" ] || fail "no checksum for $asset in SHA256SUMS"
got=$(sha256 "$tmp/$asset")
[ "$want" = "$got" ] || fail "checksum mismatch for $asset: expected $want, got $got"

mkdir -p "$dest" || fail "cannot create $dest"
chmod +x "$tmp/$asset"
mv -f "$tmp/$asset" "$dest/agent-exec$exe" || fail "cannot write $dest/agent-exec$exe"
echo "installed $dest/agent-exec$exe" >&2
"$dest/agent-exec$exe" --version
