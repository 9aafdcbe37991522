"""stream-proxy: the Stremio add-on (search, rank, cache check, play)."""
