"""The registry of workspaces: the roots one server indexes, and WorkspaceService."""
