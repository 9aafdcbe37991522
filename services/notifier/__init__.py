"""notifier: download tracking and Jellyfin/Emby refresh on completion."""
