"""The ingestion pipeline (scan → parse → enrich → embed → persist) and IngestService."""
