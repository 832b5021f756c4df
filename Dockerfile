# The Knowledge Port server (and, with `knowport mcp`, its MCP bridge). Storage comes from
# POSTGRES_DSN or POSTGRES_HOST (see docker-compose.yml).
FROM python:3.11-slim

# Dependencies first, so a code change reuses these layers. torch comes alone from PyTorch's
# CPU wheel index: the PyPI wheel for Linux pulls several GB of CUDA libraries the embedder
# never uses. Everything else is pinned by requirements.lock (`make lint` checks both).
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0+cpu
RUN pip install --no-cache-dir -r requirements.lock

COPY pyproject.toml README.md ./
COPY knowport ./knowport
COPY services ./services
COPY clients ./clients
# The project alone, built with the locked setuptools (no unpinned build environment).
RUN pip install --no-cache-dir --no-deps --no-build-isolation .

# A user of its own: the server needs no root, and the embedded PostgreSQL refuses it.
RUN useradd --system --uid 10001 --create-home --home-dir /home/knowport knowport \
    && mkdir -p /data && chown knowport:knowport /data
USER knowport
ENV GRPC_HOST=0.0.0.0 GRPC_PORT=50051 WORKSPACE=/workspace KNOWPORT_DATA_DIR=/data
EXPOSE 50051
CMD ["knowport", "serve"]
