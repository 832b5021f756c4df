"""Storage: the port (port.py), its memory and PostgreSQL adapters, and what both share."""
