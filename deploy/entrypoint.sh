#!/bin/sh
# Runs a Chillproxy service as PUID:PGID, the way self-hosted images do: files it writes in the download
# folder then belong to you, not to root or to an id from the image. Started as root (compose's default), it
# first makes its data and download folders that user's — only the folders themselves, and only when that
# user cannot write them (a folder Docker created for a bind mount belongs to root) — then drops to it.
# Started as another user already (`user:`), it runs as that one.
set -eu
PUID=${PUID:-10001}
PGID=${PGID:-10001}
umask "${UMASK:-022}"

if [ "$(id -u)" = 0 ]; then
  for folder in "${CHILLPROXY_DATA:-/data}" "${DOWNLOAD_ROOT:-/downloads}"; do
    mkdir -p "$folder" 2>/dev/null || true
    if ! setpriv --reuid="$PUID" --regid="$PGID" --clear-groups test -w "$folder"; then
      chown "$PUID:$PGID" "$folder" 2>/dev/null || true  # read-only mounts (the notifier's) stay as they are
    fi
  done
  exec setpriv --reuid="$PUID" --regid="$PGID" --clear-groups -- "$@"
fi
exec "$@"
