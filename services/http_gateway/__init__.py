"""The HTTP/JSON gateway: the gRPC services transcoded from their `google.api.http`
annotations, served in the server process on KNOWPORT_HTTP_PORT."""
