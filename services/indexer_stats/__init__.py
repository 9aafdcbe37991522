"""indexer-stats: per-indexer performance, health and ranking."""
