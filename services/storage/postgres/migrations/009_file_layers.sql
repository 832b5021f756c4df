-- The layers complete for each stored file (structure, vectors, descriptions): a rerun does
-- exactly the missing ones. Files stored before layers existed were stored whole: they have
-- the structure, their vectors when every chunk has one, and descriptions when they have a
-- summary (written only by the description step).
ALTER TABLE files ADD COLUMN layers text[] NOT NULL DEFAULT '{}';
UPDATE files f SET layers = ARRAY['structure']
    || CASE WHEN NOT EXISTS (SELECT 1 FROM chunks c WHERE c.workspace_id = f.workspace_id
                             AND c.path = f.path AND c.embedding IS NULL)
            THEN ARRAY['vectors'] ELSE '{}'::text[] END
    || CASE WHEN f.summary <> '' THEN ARRAY['descriptions'] ELSE '{}'::text[] END;
