"""The storage contract (services/storage/port.py), one module per role, run against every
backend: each test once over the memory adapter and once over PostgreSQL (a fresh database on
the session's embedded server)."""
