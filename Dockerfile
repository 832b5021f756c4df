# The Knowledge Port server. Storage comes from POSTGRES_DSN (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY knowport ./knowport
COPY services ./services
COPY clients ./clients
RUN pip install --no-cache-dir .
ENV GRPC_HOST=0.0.0.0 GRPC_PORT=50051 WORKSPACE=/workspace KNOWPORT_DATA_DIR=/data
EXPOSE 50051
CMD ["knowport", "serve"]
