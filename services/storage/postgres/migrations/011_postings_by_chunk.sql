-- A chunk's postings side by side in the primary key: (workspace, chunk, term) rather than
-- (workspace, term, chunk). Keyed by term first, each of a new chunk's ~40 postings went to
-- a different leaf page of the key (one per term), so a file's write touched some thousand
-- scattered pages of it, and past a few hundred files most were no longer in the buffer
-- cache: on 1,000 real files, writing the postings cost ~35 us each, most of the structure
-- layer's time on PostgreSQL. Keyed by chunk first, a chunk's postings fill one or two leaf
-- pages. Reading a term's postings goes through chunk_terms_impact (migration 006), which
-- holds the same columns; looking up a known chunk's terms (lexical.py's exact scores) goes
-- through this key, now by its leading columns.
ALTER TABLE chunk_terms DROP CONSTRAINT chunk_terms_pkey,
    ADD PRIMARY KEY (workspace_id, chunk_id, term) INCLUDE (tf, length);

-- Migration 010's function, its removal now by chunk through the key above: a removed
-- chunk's postings are exactly all of the chunk's rows, and no document needs splitting to
-- find them. The rest is unchanged.
CREATE OR REPLACE FUNCTION knowport_update_terms(ws text, removed_ids text[],
                                                 removed_docs text[], added_ids text[],
                                                 added_docs text[])
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
    IF cardinality(removed_ids) > 0 THEN
        WITH deleted AS (
            DELETE FROM chunk_terms
            WHERE workspace_id = ws AND chunk_id = ANY(removed_ids)
            RETURNING term)
        SELECT coalesce(array_agg(term), '{}') INTO gone FROM deleted;
    END IF;
    -- Each document is split once (a set-returning function in FROM runs once per row).
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
