-- A workspace's display name, given at creation (WorkspaceService.CreateWorkspace); '' when
-- none was given.
ALTER TABLE workspaces ADD COLUMN name text NOT NULL DEFAULT '';
