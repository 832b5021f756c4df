"""The memory storage adapter (adapter.py) and what only it needs: one workspace's records and
indexes (space.py), the BM25 inverted index (bm25.py), the vector index (vectors.py) and the
best-few selection both use (ranking.py). Mirrors storage/postgres/."""
