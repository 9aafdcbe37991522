#!/usr/bin/env bash
# Debian packages the tests need; `make test` runs this. Installs only what is missing.
set -euo pipefail

declare -A packages=(
  [docker-compose]=docker-compose   # validates deploy/docker-compose.yml
  [chromium]=chromium               # page tests in headless Chromium
  [npm]=npm                         # tests/node: the Stremio add-on linter, @ctrl/qbittorrent
  [qbittorrent-nox]=qbittorrent-nox # qbt-shim's conformance with the real qBittorrent; notifier's clients
  [transmission-daemon]=transmission-daemon  # notifier's Transmission client
  [nzbget]=nzbget                   # notifier's NZBGet client
)

missing=()
for command in "${!packages[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${packages[$command]}")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages for the tests: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

# Node tools the tests call, pinned by tests/node/package-lock.json (installed again when one is missing)
for module in stremio-addon-linter playwright-core @ctrl/qbittorrent; do
  if [ ! -d "tests/node/node_modules/$module" ]; then
    (cd tests/node && npm ci --silent --no-audit --no-fund)
    break
  fi
done
