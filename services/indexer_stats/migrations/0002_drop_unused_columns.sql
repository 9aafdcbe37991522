-- Never filled: the 24 h query count is computed from the search logs, and searches are by IMDb id only.
ALTER TABLE prowlarr_indexers DROP COLUMN IF EXISTS queries_24h;
ALTER TABLE prowlarr_search_logs DROP COLUMN IF EXISTS tmdb_id;
