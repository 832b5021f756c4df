"""Retrieval over the index (search, file context, overview) and KnowledgeService."""
