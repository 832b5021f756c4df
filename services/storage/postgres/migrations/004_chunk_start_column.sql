-- A line too long for one chunk (minified code, one-line data files) is cut into pieces that
-- share its line number: start_column (0-based characters into start_line) orders them and
-- tells an agent where each begins. 0 for every other chunk.
ALTER TABLE chunks ADD COLUMN start_column integer NOT NULL DEFAULT 0 CHECK (start_column >= 0);
