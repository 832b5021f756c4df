"""The LLM lock: a lease with TTL and fencing, the pipeline's LLM gate, and LockService."""
