-- Lexical search reads each query term's postings best first and stops once no unread
-- posting can change the top hits (postgres/lexical.py): a common word costs a few dozen
-- index entries, not all of its postings.

-- A posting's impact: BM25's term-frequency part, tf / (tf + k1 * (1 - b + b * length / L)),
-- with k1 = 1.2, b = 0.75 and a fixed reference average length L = 100 tokens (lexical.py
-- REFERENCE_LENGTH). Fixed, so that no write ever reorders other postings: the real average
-- differs, and lexical.py scales its bounds by max(1, average / L) to stay exact.
ALTER TABLE chunk_terms ADD COLUMN impact real GENERATED ALWAYS AS (
    (tf::float8 / (tf::float8 + 1.2::float8 * (1.0::float8 - 0.75::float8
                   + 0.75::float8 * length::float8 / 100.0::float8)))::real) STORED;

CREATE INDEX chunk_terms_impact ON chunk_terms (workspace_id, term, impact DESC)
    INCLUDE (chunk_id, tf, length);

-- Nothing reads the tsvector since migration 005: stop building it on every write.
ALTER TABLE chunks DROP COLUMN tsv;
