#!/usr/bin/env bash
# Installs code-server 4.100.3 (a real VS Code workbench and extension host) into test/host/node_modules, offline except for the npm registry and Debian packages.
# Idempotent: does nothing when code-server already answers --version. See ../../../shared/vscode-host.md for why each step is needed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CODE_SERVER="$HERE/node_modules/.bin/code-server"
RG_VERSION_DIR="vscode-ripgrep-cache-1.15.11"
RG_TARBALL="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"

# --version answers even when code-server's postinstall (VS Code's own dependencies, native modules, ripgrep) did not run: check those too.
VSCODE_MODULES="$HERE/node_modules/code-server/lib/vscode/node_modules"
if [ -x "$CODE_SERVER" ] && [ -x "$VSCODE_MODULES/@vscode/ripgrep/bin/rg" ] && [ -d "$VSCODE_MODULES/node-pty/build/Release" ] \
  && version="$("$CODE_SERVER" --config /dev/null --version 2>/dev/null)"; then
  echo "code-server already installed: $(echo "$version" | head -n 1)"
  exit 0
fi

# Debian packages: compilers for the native modules (node-pty, kerberos), kerberos headers, ripgrep, and Chromium for the tests.
missing=()
for pkg in build-essential python3 pkg-config libkrb5-dev ripgrep chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# @vscode/ripgrep downloads ripgrep from GitHub unless its tarball is already in $TMPDIR: give it Debian's rg.
TMP="$HERE/.tmp"
mkdir -p "$TMP/$RG_VERSION_DIR" "$TMP/rg-staging"
if [ ! -s "$TMP/$RG_VERSION_DIR/$RG_TARBALL" ]; then
  cp /usr/bin/rg "$TMP/rg-staging/rg"
  tar -czf "$TMP/$RG_VERSION_DIR/$RG_TARBALL" -C "$TMP/rg-staging" rg
fi

cd "$HERE"
export TMPDIR="$TMP"
export npm_config_nodedir=/usr          # node-gyp builds against the installed Node headers instead of downloading them
export npm_config_unsafe_perm=true      # code-server's postinstall.sh refuses root without it (npm 11 warns it no longer knows the option: harmless)
export npm_config_yes=true              # node-pty's install runs `npx node-gyp`
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
if [ -f package-lock.json ]; then
  npm ci --no-progress
else
  npm install --no-progress
fi

"$CODE_SERVER" --config /dev/null --version | head -n 1
