"""The PostgreSQL + pgvector storage adapter (adapter.py) and the embedded server (embedded.py)."""
