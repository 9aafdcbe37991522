-- Downloads grabbed from a Prowlarr search result keep where they came from (Prowlarr cannot say it back).
ALTER TABLE notifier_downloads ADD COLUMN prowlarr_guid text, ADD COLUMN indexer_id integer;
