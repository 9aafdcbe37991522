#!/usr/bin/env bash
# Debian packages the tests need; `make test` runs this. Installs only what is missing.
set -euo pipefail

declare -A packages=(
  [docker-compose]=docker-compose   # validates deploy/docker-compose.yml
  [chromium]=chromium               # page tests in headless Chromium
)

missing=()
for command in "${!packages[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${packages[$command]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages for the tests: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
