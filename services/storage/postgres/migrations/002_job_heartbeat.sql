-- Ingest jobs across processes: a heartbeat tells a live runner from one that died, and a
-- cancel flag lets any process ask the runner to stop.
ALTER TABLE ingest_jobs
    ADD COLUMN heartbeat_at     timestamptz,
    ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false;

CREATE INDEX ingest_jobs_unfinished ON ingest_jobs (workspace_id)
    WHERE state IN ('queued', 'running', 'paused');
