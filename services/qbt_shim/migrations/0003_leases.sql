-- Work owned by one replica at a time: a torrent's TorBox add and each file's download are leased to the
-- replica doing them (taken with FOR UPDATE SKIP LOCKED); a lease that runs out is work another replica
-- takes over (a download resumes from its .part file).
ALTER TABLE qbt_torrents ADD COLUMN lease_holder text, ADD COLUMN lease_until timestamptz;
ALTER TABLE qbt_files ADD COLUMN lease_holder text, ADD COLUMN lease_until timestamptz;
