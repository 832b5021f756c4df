-- The first schema. Applied once, inside the migration transaction (see migrate.py).

CREATE TABLE workspaces (
    id         text PRIMARY KEY,
    root       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A file row is written in the same transaction as its chunks, so it marks the file as done.
CREATE TABLE files (
    workspace_id text NOT NULL,
    path         text NOT NULL,
    content_hash text NOT NULL,
    size_bytes   bigint NOT NULL,
    mtime_ns     bigint NOT NULL,
    language     text NOT NULL,
    summary      text NOT NULL DEFAULT '',
    indexed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, path)
);

CREATE TABLE chunks (
    workspace_id text NOT NULL,
    id           text NOT NULL,
    path         text NOT NULL,
    start_line   integer NOT NULL,
    end_line     integer NOT NULL,
    symbol       text NOT NULL,
    kind         text NOT NULL,
    language     text NOT NULL,
    text         text NOT NULL,
    content_hash text NOT NULL,
    description  text NOT NULL DEFAULT '',
    purpose      text NOT NULL DEFAULT '',
    -- No fixed dimension: models differ. HNSW indexes are per dimension, partial and on a
    -- cast expression, created when a dimension is first written (migrate.py).
    embedding    vector,
    -- services/storage/tokens.py lexical_document(): tokens are plain words, so the 'simple'
    -- configuration turns each into exactly one lexeme.
    lexical      text NOT NULL,
    tsv          tsvector GENERATED ALWAYS AS (to_tsvector('simple', lexical)) STORED,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, path) REFERENCES files (workspace_id, path) ON DELETE CASCADE
);

CREATE INDEX chunks_tsv ON chunks USING gin (tsv);
-- Serves get_chunks (ordered by start line) and the cascade from files.
CREATE INDEX chunks_file ON chunks (workspace_id, path, start_line);

CREATE TABLE enrichment_cache (
    content_hash text NOT NULL,
    model        text NOT NULL,
    description  text NOT NULL,
    purpose      text NOT NULL,
    PRIMARY KEY (content_hash, model)
);

CREATE TABLE embedding_cache (
    content_hash text NOT NULL,
    model        text NOT NULL,
    embedding    vector NOT NULL,
    PRIMARY KEY (content_hash, model)
);

CREATE TABLE ingest_jobs (
    id           text PRIMARY KEY,
    workspace_id text NOT NULL,
    "full"       boolean NOT NULL,  -- FULL is a reserved word, hence the quotes
    state        text NOT NULL,
    request_id   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    counts       jsonb NOT NULL DEFAULT '{}',
    skipped      jsonb NOT NULL DEFAULT '[]',  -- [[path, reason], ...]
    message      text NOT NULL DEFAULT ''
);

-- StartIngest's idempotency: one job per (workspace, request id) when a request id is given.
CREATE UNIQUE INDEX ingest_jobs_request ON ingest_jobs (workspace_id, request_id)
    WHERE request_id <> '';
CREATE INDEX ingest_jobs_newest ON ingest_jobs (workspace_id, created_at DESC, id DESC);

-- The LLM lease: one row, always present, so acquiring can lock it with SELECT ... FOR UPDATE
-- (an absent row could not be locked, and two first acquirers would both win).
CREATE TABLE llm_lease (
    id            smallint PRIMARY KEY CHECK (id = 1),
    holder        text NOT NULL,
    lease_id      text NOT NULL,
    fencing_token bigint NOT NULL,
    expires_at    timestamptz NOT NULL
);
INSERT INTO llm_lease VALUES (1, '', '', 0, '-infinity');

-- Fencing tokens come from a sequence: they only grow, across restarts and processes.
CREATE SEQUENCE llm_fencing_seq;
