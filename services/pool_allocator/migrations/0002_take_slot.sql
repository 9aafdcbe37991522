-- Taking a slot for a user in one statement. A pool's row lock is the price of exact counting; run as one
-- statement outside any client transaction, it is held only while the server works, never while a client
-- process waits for its turn to send COMMIT. Each statement of a PL/pgSQL function takes a fresh snapshot
-- (READ COMMITTED), so after waiting for a lock the free slots are seen as they are now.
--
-- Order of locks, as everywhere: the user, then pools. Returns the slot the user holds afterwards, or no
-- row when no usable pool has room (the user then keeps an unusable slot they held, if any).
CREATE FUNCTION pool_take_slot(p_user uuid, p_device text)
RETURNS TABLE (slot_id uuid, pool_key_id uuid, slot_number integer, pool_status text, encrypted_key text)
LANGUAGE plpgsql AS $$
DECLARE
    held record;
    candidate record;
    free_slot uuid;
    free_number integer;
BEGIN
    PERFORM 1 FROM users WHERE uuid = p_user FOR UPDATE;
    SELECT s.id, s.pool_key_id, s.slot_number, p.status, p.api_key INTO held
    FROM torbox_slots s JOIN torbox_pool p ON p.id = s.pool_key_id WHERE s.user_id = p_user;
    IF FOUND AND held.status IN ('healthy', 'degraded') THEN
        -- a request of the same user, a moment earlier, already found a slot
        UPDATE torbox_assignments a SET slot_id = held.id, assigned_pool_key_id = held.pool_key_id
        WHERE a.user_id = p_user AND a.device_id = p_device;
        RETURN QUERY SELECT held.id, held.pool_key_id, held.slot_number, held.status::text, held.api_key;
        RETURN;
    END IF;
    FOR candidate IN
        SELECT p.id FROM torbox_pool p
        WHERE p.is_active AND p.status IN ('healthy', 'degraded') AND p.current_user_slots < p.max_user_slots
          AND p.id IS DISTINCT FROM held.pool_key_id
        ORDER BY p.status = 'healthy' DESC, p.priority DESC, p.created_at, p.id
    LOOP
        PERFORM 1 FROM torbox_pool p
        WHERE p.id = candidate.id AND p.is_active AND p.status IN ('healthy', 'degraded')
          AND p.current_user_slots < p.max_user_slots
        FOR UPDATE;
        CONTINUE WHEN NOT FOUND;
        SELECT f.id, f.slot_number INTO free_slot, free_number FROM torbox_slots f
        WHERE f.pool_key_id = candidate.id AND f.user_id IS NULL ORDER BY f.slot_number LIMIT 1;
        CONTINUE WHEN free_slot IS NULL;
        IF held.id IS NOT NULL THEN
            -- moving off an unusable pool: one slot per user, so the old one is freed first
            PERFORM 1 FROM torbox_pool p WHERE p.id = held.pool_key_id FOR UPDATE;
            UPDATE torbox_slots s SET user_id = NULL, is_active = false, assigned_at = NULL, updated_at = now()
            WHERE s.id = held.id;
            UPDATE torbox_pool p SET current_user_slots = p.current_user_slots - 1, updated_at = now()
            WHERE p.id = held.pool_key_id;
        END IF;
        UPDATE torbox_slots s
        SET user_id = p_user, is_active = true, assigned_at = now(), last_activity_at = now(), updated_at = now()
        WHERE s.id = free_slot;
        UPDATE torbox_pool p SET current_user_slots = p.current_user_slots + 1, updated_at = now()
        WHERE p.id = candidate.id;
        UPDATE torbox_assignments a SET slot_id = free_slot, assigned_pool_key_id = candidate.id
        WHERE a.user_id = p_user AND a.device_id = p_device;
        RETURN QUERY
            SELECT free_slot, candidate.id, free_number, p.status::text, p.api_key FROM torbox_pool p
            WHERE p.id = candidate.id;
        RETURN;
    END LOOP;
END;
$$;
