-- Lexical search at scale (postgres/lexical.py).
-- Finer statistics on the lexemes: ANALYZE then lists the 10,000 most common ones (down to
-- about 0.04% of the chunks), which lexical search reads to tell common words from rare ones.
ALTER TABLE chunks ALTER COLUMN tsv SET STATISTICS 1000;
-- Keep the tsvector in the row (compressed) rather than out of line: ranking reads it for
-- every matching chunk, and one page read per chunk is half the work of two. New and
-- replaced rows only; existing rows move when their file is next indexed.
ALTER TABLE chunks ALTER COLUMN tsv SET STORAGE MAIN;
