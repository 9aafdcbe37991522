-- qBittorrent keeps a tag once it is created (by an add, addTags or createTags) until deleteTags, whether
-- or not a torrent carries it; the shim did not — a tag Sonarr or a dashboard set up vanished with its
-- last torrent.
CREATE TABLE qbt_tags (
    name text PRIMARY KEY                            -- trimmed, no comma (qBittorrent's Tag::isValid)
);
INSERT INTO qbt_tags (name)
SELECT DISTINCT btrim(tag) FROM qbt_torrents, unnest(string_to_array(tags, ',')) AS tag WHERE btrim(tag) <> ''
ON CONFLICT DO NOTHING;

-- the share limits a client set (torrents/add or torrents/setShareLimits), as qBittorrent stores them:
-- -2 the global limit, -1 none; minutes for the times
ALTER TABLE qbt_torrents
    ADD COLUMN ratio_limit double precision NOT NULL DEFAULT -2,
    ADD COLUMN seeding_time_limit integer NOT NULL DEFAULT -2,
    ADD COLUMN inactive_seeding_time_limit integer NOT NULL DEFAULT -2;
