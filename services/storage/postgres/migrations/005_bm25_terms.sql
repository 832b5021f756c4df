-- Lexical search ranks by BM25 over the same tokens, with the same k1, b, idf and document
-- lengths as the memory backend (services/storage/bm25.py; postgres/lexical.py, terms.py).
-- Kept in the transaction that writes a file's chunks (replace_file, delete_files).

-- The inverted index: one row per (term, chunk holding it). `length` is the chunk's
-- document length in tokens, repeated in each of its rows so that scoring reads postings
-- alone; the included columns let it read them from the index alone.
CREATE TABLE chunk_terms (
    workspace_id text NOT NULL,
    term         text NOT NULL,
    chunk_id     text NOT NULL,
    tf           integer NOT NULL,
    length       integer NOT NULL,
    PRIMARY KEY (workspace_id, term, chunk_id) INCLUDE (tf, length)
);

-- Document frequency per term (rows with df 0 are removed).
CREATE TABLE term_stats (
    workspace_id text NOT NULL,
    term         text NOT NULL,
    df           integer NOT NULL,
    PRIMARY KEY (workspace_id, term)
);

-- Per workspace: chunks and their total length in tokens (BM25's N and average length).
CREATE TABLE lexical_totals (
    workspace_id text PRIMARY KEY,
    chunks       bigint NOT NULL,
    length       bigint NOT NULL
);

-- Chunks indexed before this migration. Their `lexical` column holds the document as
-- space-joined tokens (services/storage/tokens.py), the same the adapter splits in Python.
INSERT INTO chunk_terms (workspace_id, term, chunk_id, tf, length)
SELECT c.workspace_id, t.term, c.id, t.tf, l.n
FROM chunks c
CROSS JOIN LATERAL (SELECT count(*)::integer AS n
                    FROM regexp_split_to_table(c.lexical, ' ') AS w WHERE w <> '') l
CROSS JOIN LATERAL (SELECT w AS term, count(*)::integer AS tf
                    FROM regexp_split_to_table(c.lexical, ' ') AS w WHERE w <> ''
                    GROUP BY w) t;

INSERT INTO term_stats (workspace_id, term, df)
SELECT workspace_id, term, count(*) FROM chunk_terms GROUP BY workspace_id, term;

INSERT INTO lexical_totals (workspace_id, chunks, length)
SELECT workspace_id, count(*),
       coalesce(sum(cardinality(array_remove(string_to_array(lexical, ' '), ''))), 0)
FROM chunks GROUP BY workspace_id;

-- Search no longer reads the tsvector through its GIN index nor its lexeme statistics
-- (migration 003); keeping them up would only slow every write and every ANALYZE.
DROP INDEX IF EXISTS chunks_tsv;
ALTER TABLE chunks ALTER COLUMN tsv SET STATISTICS -1;
