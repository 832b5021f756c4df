"""The server process: composition of storage, services, health and reflection."""
