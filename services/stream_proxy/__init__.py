"""stream-proxy: the Stremio add-on (search, rank, cache check, play). SPEC §3.2."""
