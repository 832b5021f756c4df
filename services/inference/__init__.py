"""The models the product runs: the embedder port (embedder.py), LLM clients and the one retry
loop (llm.py), and the embedders behind the port: an OpenAI-compatible endpoint
(openai_embedder.py), and local models run in this process (in_process.py; ONNX Runtime in
onnx_embedder.py, sentence-transformers in st_embedder.py). The ingest pipeline and retrieval
both use them; neither owns them."""
