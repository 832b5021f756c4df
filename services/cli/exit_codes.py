"""Exit codes of the `knowport` command: each means one thing, so scripts can branch on them."""

OK = 0
FAILED = 1  # the operation failed (a job failed, a call returned an error)
USAGE = 2  # bad arguments or configuration
UNREACHABLE = 3  # no server answered at GRPC_HOST:GRPC_PORT
PARTIAL = 4  # done, but some files failed and will be retried by the next ingest
CANCELLED = 130
BUSY = 5  # the LLM lock is held by someone else
READER_GONE = 141  # stdout's reader stopped reading (`| head`): 128 + SIGPIPE, as for `ls`
