"""The MCP bridge: Knowledge Port's knowledge as MCP tools, plus a fast local docs index.

`docs_index` holds the in-process inverted index over the workspace's documentation (ADR 008's
IndexEngine) and keeps it up to date, with its postings and scoring in `docs_postings`, its LRU
reader in `docs_reader`, its query parsing in `docs_query`, its result types and budget in
`docs_results` and its errors in `docs_errors`; `providers` holds the search chain (local
index → KnowledgeService → optional LLM) that the `search_docs` tool answers from.
"""
