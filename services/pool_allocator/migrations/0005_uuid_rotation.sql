-- A user may rotate their uuid (the credential inside their add-on links): every reference follows it.
ALTER TABLE user_subs DROP CONSTRAINT user_subs_uuid_fkey,
    ADD CONSTRAINT user_subs_uuid_fkey FOREIGN KEY (uuid) REFERENCES users (uuid)
        ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE torbox_slots DROP CONSTRAINT torbox_slots_user_id_fkey,
    ADD CONSTRAINT torbox_slots_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (uuid)
        ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE torbox_assignments DROP CONSTRAINT torbox_assignments_user_id_fkey,
    ADD CONSTRAINT torbox_assignments_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (uuid)
        ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE torbox_concurrency_log DROP CONSTRAINT torbox_concurrency_log_user_id_fkey,
    ADD CONSTRAINT torbox_concurrency_log_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (uuid)
        ON DELETE CASCADE ON UPDATE CASCADE;
