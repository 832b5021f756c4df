-- The symbol graph: each file's definitions, references and imports, written in the same
-- transaction as its chunks (replace_file) and gone with its file row (the cascade).
-- Lookups go by (workspace, name): the name indexes use COLLATE "C" so that one index serves
-- both an exact name and a name prefix (LIKE 'prefix%').

CREATE TABLE symbol_definitions (
    workspace_id   text NOT NULL,
    path           text NOT NULL,
    name           text NOT NULL,
    qualified_name text NOT NULL,
    kind           text NOT NULL,
    start_line     integer NOT NULL,
    end_line       integer NOT NULL,
    signature      text NOT NULL,
    FOREIGN KEY (workspace_id, path) REFERENCES files (workspace_id, path) ON DELETE CASCADE
);
CREATE INDEX symbol_definitions_name
    ON symbol_definitions (workspace_id, name COLLATE "C");
CREATE INDEX symbol_definitions_qualified
    ON symbol_definitions (workspace_id, qualified_name COLLATE "C");
CREATE INDEX symbol_definitions_file ON symbol_definitions (workspace_id, path);

CREATE TABLE symbol_references (
    workspace_id text NOT NULL,
    path         text NOT NULL,
    name         text NOT NULL,
    qualifier    text NOT NULL,
    kind         text NOT NULL,
    line         integer NOT NULL,
    col          integer NOT NULL,
    scope        text NOT NULL,
    FOREIGN KEY (workspace_id, path) REFERENCES files (workspace_id, path) ON DELETE CASCADE
);
CREATE INDEX symbol_references_name
    ON symbol_references (workspace_id, name COLLATE "C");
CREATE INDEX symbol_references_file ON symbol_references (workspace_id, path);

CREATE TABLE symbol_imports (
    workspace_id text NOT NULL,
    path         text NOT NULL,
    local_name   text NOT NULL,
    target       text NOT NULL,
    line         integer NOT NULL,
    FOREIGN KEY (workspace_id, path) REFERENCES files (workspace_id, path) ON DELETE CASCADE
);
CREATE INDEX symbol_imports_file ON symbol_imports (workspace_id, path);

-- Files indexed before this migration have no symbols stored. Forget their mtime and hash so
-- the next incremental ingest parses each again (chunk ids, descriptions and vectors come back
-- the same from their content-hash caches: no model is called).
UPDATE files SET mtime_ns = 0, content_hash = '';
