"""The gRPC transport toolkit every servicer shares: error mapping, the response budget,
the access log, request validation and page tokens. Nothing here knows a storage backend."""
