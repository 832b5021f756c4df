-- A file's structure in one round trip: replace_file (adapter.py) was some eighteen
-- statements per file (files, chunks, postings, statistics, symbols, each its own round
-- trip); on a loaded machine every round trip waits for the scheduler twice, and the
-- ingest of a 2,000-file tree spent most of its structure time waiting so.
-- Both functions run inside the caller's transaction (a call is one statement: its own
-- transaction when none is open), so a file is still written whole or not at all.

-- Replace the BM25 postings of the `removed` chunks' documents by those of the `added`
-- ones and adjust the statistics (migration 005): what terms.py did in Python, from the
-- same space-joined documents. Document frequencies change by one net delta per term, in
-- term order, and the totals row last: two writers of one workspace wait for each other
-- but never deadlock. Returns the postings deleted plus those written.
CREATE FUNCTION knowport_update_terms(ws text, removed_ids text[], removed_docs text[],
                                      added_ids text[], added_docs text[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    gone text[] := '{}';  -- the term of each posting deleted
    added text[] := '{}';  -- the term of each posting written
    terms text[];
    deltas integer[];
    removed_length bigint;
    added_length bigint;
BEGIN
    -- A chunk of 150,000 distinct words (test_long_lines) groups its postings in memory
    -- rather than in temporary files; ordinary files need a few hundred kB.
    PERFORM set_config('work_mem', '64MB', true);
    -- Each document is split once (a set-returning function in FROM runs once per row).
    IF cardinality(removed_ids) > 0 THEN
        WITH deleted AS (
            DELETE FROM chunk_terms p
            USING (SELECT DISTINCT d.id, t.term
                   FROM unnest(removed_ids, removed_docs) AS d(id, doc),
                        unnest(string_to_array(d.doc, ' ')) AS t(term)
                   WHERE t.term <> '') AS x
            WHERE p.workspace_id = ws AND p.term = x.term AND p.chunk_id = x.id
            RETURNING p.term)
        SELECT coalesce(array_agg(term), '{}') INTO gone FROM deleted;
    END IF;
    IF cardinality(added_ids) > 0 THEN
        WITH written AS (
            INSERT INTO chunk_terms (workspace_id, term, chunk_id, tf, length)
            SELECT ws, x.term, x.id, count(*), max(x.length)
            FROM (SELECT a.id, t.term, count(*) OVER (PARTITION BY a.id) AS length
                  FROM unnest(added_ids, added_docs) AS a(id, doc),
                       unnest(string_to_array(a.doc, ' ')) AS t(term)
                  WHERE t.term <> '') AS x
            GROUP BY x.id, x.term
            RETURNING term)
        SELECT coalesce(array_agg(term), '{}') INTO added FROM written;
    END IF;
    -- A posting is one chunk holding one term: +1 to its document frequency when written,
    -- -1 when deleted.
    SELECT array_agg(term ORDER BY term), array_agg(delta ORDER BY term) INTO terms, deltas
    FROM (SELECT term, sum(n)::integer AS delta
          FROM (SELECT term, 1 AS n FROM unnest(added) AS term
                UNION ALL SELECT term, -1 FROM unnest(gone) AS term) AS x
          GROUP BY term) AS y
    WHERE delta <> 0;
    IF terms IS NOT NULL THEN
        INSERT INTO term_stats (workspace_id, term, df)
        SELECT ws, x.term, x.delta FROM unnest(terms, deltas) AS x(term, delta)
        ORDER BY x.term
        ON CONFLICT (workspace_id, term) DO UPDATE SET df = term_stats.df + excluded.df;
        IF EXISTS (SELECT 1 FROM unnest(deltas) AS d WHERE d < 0) THEN
            DELETE FROM term_stats WHERE workspace_id = ws AND df <= 0
            AND term = ANY(ARRAY(SELECT x.term FROM unnest(terms, deltas) AS x(term, delta)
                                 WHERE x.delta < 0));
        END IF;
    END IF;
    SELECT coalesce(sum(cardinality(array_remove(string_to_array(doc, ' '), ''))), 0)
    INTO removed_length FROM unnest(removed_docs) AS doc;
    SELECT coalesce(sum(cardinality(array_remove(string_to_array(doc, ' '), ''))), 0)
    INTO added_length FROM unnest(added_docs) AS doc;
    IF cardinality(added_ids) <> cardinality(removed_ids) OR added_length <> removed_length THEN
        INSERT INTO lexical_totals (workspace_id, chunks, length)
        VALUES (ws, cardinality(added_ids) - cardinality(removed_ids),
                added_length - removed_length)
        ON CONFLICT (workspace_id) DO UPDATE SET
            chunks = lexical_totals.chunks + excluded.chunks,
            length = lexical_totals.length + excluded.length;
    END IF;
    RETURN cardinality(gone) + cardinality(added);
END;
$$;

-- Replace a file's record, chunks (with their postings) and symbols (migration 007). The
-- file row first (as delete_files locks files before chunks), the shared statistics last
-- (knowport_update_terms), so the rows every writer of a workspace touches are held only
-- for the end of the transaction. Chunk columns come as parallel arrays, embeddings as
-- their text form ('[1,2,3]', NULL for none). Returns the postings deleted plus written.
CREATE FUNCTION knowport_replace_file(
    ws text, file_path text, file_hash text, file_size bigint, file_mtime bigint,
    file_language text, file_summary text, file_indexed_at timestamptz, file_layers text[],
    c_id text[], c_start_line integer[], c_end_line integer[], c_symbol text[], c_kind text[],
    c_language text[], c_text text[], c_hash text[], c_description text[], c_purpose text[],
    c_embedding text[], c_lexical text[], c_start_column integer[],
    d_name text[], d_qualified text[], d_kind text[], d_start integer[], d_end integer[],
    d_signature text[],
    r_name text[], r_qualifier text[], r_kind text[], r_line integer[], r_col integer[],
    r_scope text[],
    i_local text[], i_target text[], i_line integer[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    old_ids text[];
    old_docs text[];
BEGIN
    -- Derived data: a crash may lose the last few commits (the next ingest redoes them) but
    -- never splits one, so no need to wait for the WAL flush of every file.
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO files (workspace_id, path, content_hash, size_bytes, mtime_ns, language,
                       summary, indexed_at, layers)
    VALUES (ws, file_path, file_hash, file_size, file_mtime, file_language, file_summary,
            coalesce(file_indexed_at, now()), file_layers)
    ON CONFLICT (workspace_id, path) DO UPDATE SET
        content_hash = excluded.content_hash, size_bytes = excluded.size_bytes,
        mtime_ns = excluded.mtime_ns, language = excluded.language,
        summary = excluded.summary, indexed_at = excluded.indexed_at,
        layers = excluded.layers;
    WITH old AS (DELETE FROM chunks WHERE workspace_id = ws AND path = file_path
                 RETURNING id, lexical)
    SELECT coalesce(array_agg(id), '{}'), coalesce(array_agg(lexical), '{}')
    INTO old_ids, old_docs FROM old;
    INSERT INTO chunks (workspace_id, id, path, start_line, end_line, symbol, kind, language,
                        text, content_hash, description, purpose, embedding, lexical,
                        start_column)
    SELECT ws, c.id, file_path, c.start_line, c.end_line, c.symbol, c.kind, c.language,
           c.text, c.hash, c.description, c.purpose, c.embedding::vector, c.lexical,
           c.start_column
    FROM unnest(c_id, c_start_line, c_end_line, c_symbol, c_kind, c_language, c_text,
                c_hash, c_description, c_purpose, c_embedding, c_lexical, c_start_column)
         AS c(id, start_line, end_line, symbol, kind, language, text, hash, description,
              purpose, embedding, lexical, start_column);
    DELETE FROM symbol_definitions WHERE workspace_id = ws AND path = file_path;
    DELETE FROM symbol_references WHERE workspace_id = ws AND path = file_path;
    DELETE FROM symbol_imports WHERE workspace_id = ws AND path = file_path;
    INSERT INTO symbol_definitions (workspace_id, path, name, qualified_name, kind,
                                    start_line, end_line, signature)
    SELECT ws, file_path, d.* FROM unnest(d_name, d_qualified, d_kind, d_start, d_end,
                                          d_signature) AS d;
    INSERT INTO symbol_references (workspace_id, path, name, qualifier, kind, line, col, scope)
    SELECT ws, file_path, r.* FROM unnest(r_name, r_qualifier, r_kind, r_line, r_col,
                                          r_scope) AS r;
    INSERT INTO symbol_imports (workspace_id, path, local_name, target, line)
    SELECT ws, file_path, i.* FROM unnest(i_local, i_target, i_line) AS i;
    RETURN knowport_update_terms(ws, old_ids, old_docs, c_id, c_lexical);
END;
$$;
