"""notifier: download tracking and Jellyfin/Emby refresh on completion. SPEC §3.4."""
