-- A job's claim in one round trip: claim_job (jobs.py) was seven statements (BEGIN, the
-- workspace's claim lock, the live jobs, each one's owner check, marking the dead ones
-- interrupted, the new row, reading it back, COMMIT), each a round trip that a `paths` ingest
-- of one file waited for before reading the file. The same steps, in one statement and so in
-- one transaction: the claim lock (a transaction lock) is held to its end as before.
-- Returns the job that holds the workspace: a live one already running (its owner lock
-- taken: pg_try_advisory_lock fails), or the new one, inserted.
CREATE FUNCTION knowport_claim_job(
    stale interval, unfinished text[], failed text, interrupted text, owner_class integer,
    j_id text, j_workspace text, j_full boolean, j_state text, j_request text,
    j_created timestamptz, j_finished timestamptz, j_counts jsonb, j_skipped jsonb,
    j_message text, j_heartbeat timestamptz, j_cancel boolean)
RETURNS SETOF ingest_jobs LANGUAGE plpgsql AS $$
DECLARE
    live ingest_jobs;
BEGIN
    -- One claimant per workspace at a time, across every process on this database.
    PERFORM pg_advisory_xact_lock(hashtext('ingest:' || j_workspace));
    -- Live: its runner holds the owner lock (job_owner.py) and its heartbeat is fresh (a
    -- runner that is alive but stuck goes stale).
    FOR live IN SELECT * FROM ingest_jobs
                WHERE workspace_id = j_workspace AND state = ANY(unfinished)
                AND heartbeat_at > clock_timestamp() - stale
                ORDER BY created_at DESC LOOP
        IF NOT pg_try_advisory_lock(owner_class, hashtext(live.id)) THEN
            RETURN NEXT live;
            RETURN;
        END IF;
        PERFORM pg_advisory_unlock(owner_class, hashtext(live.id));
    END LOOP;
    UPDATE ingest_jobs SET state = failed, message = interrupted,
                           finished_at = clock_timestamp()
    WHERE workspace_id = j_workspace AND state = ANY(unfinished);
    -- As jobs.py's _save_job writes a new row: the clocks are the database's.
    RETURN QUERY
    INSERT INTO ingest_jobs (id, workspace_id, "full", state, request_id, created_at,
                             finished_at, counts, skipped, message, heartbeat_at,
                             cancel_requested)
    VALUES (j_id, j_workspace, j_full, j_state, j_request,
            coalesce(j_created, clock_timestamp()), j_finished, j_counts, j_skipped,
            j_message,
            CASE WHEN j_state = ANY(unfinished) THEN clock_timestamp() ELSE j_heartbeat END,
            j_cancel)
    RETURNING *;
END;
$$;
