"""Talking to an OpenAI-compatible endpoint: the LLM gate, the client, and the one retry loop.

Enrichment and remote embeddings both send their requests through `request_with_retries`,
so the gate is consulted and failures are classified in exactly one place. The `openai`
client's own retries are switched off for the same reason: a retry it made internally would
slip past the gate.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from services.domain.errors import KnowportError

if TYPE_CHECKING:  # the package costs ~45 MB of memory: imported only once a client is made
    import openai

log = logging.getLogger(__name__)

T = TypeVar("T")

# Local servers (llama.cpp, Ollama, vLLM) ignore the key, but the client insists on one.
PLACEHOLDER_API_KEY = "no-key"

# Status codes worth another attempt: the request may succeed unchanged a little later.
TRANSIENT_STATUSES = frozenset({408, 409, 429})


class LlmGate(Protocol):
    """Decides when an LLM request may start (the LLM lock closes it while an agent thinks)."""

    async def wait_open(self) -> None:
        """Return once a request may be sent; called right before every HTTP request."""


class OpenGate:
    """The gate when nothing shares the LLM: always open."""

    async def wait_open(self) -> None:
        return None


def make_client(base_url: str, api_key: str = "", *, timeout: float = 120.0,
                connect_timeout: float = 5.0) -> openai.AsyncOpenAI:
    """An async client for one OpenAI-compatible endpoint, e.g. "http://127.0.0.1:8080/v1".

    `timeout` bounds each request (a slow local model can take a while per chunk);
    `connect_timeout` is short so an endpoint that is down fails fast and is retried.
    """
    import openai

    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key=api_key or PLACEHOLDER_API_KEY,
        timeout=openai.Timeout(timeout, connect=connect_timeout),
        max_retries=0,  # request_with_retries retries, consulting the gate each time
    )


class LlmRequestFailed(KnowportError):
    """A request to the model endpoint failed for good (after retries, or at once when the
    failure is not transient). Nothing was cached, so the next run tries again."""

    default_reason = "LLM_REQUEST_FAILED"

    def __init__(self, message: str, *, attempts: int, status: int | None = None) -> None:
        metadata = {"attempts": str(attempts)}
        if status is not None:
            metadata["status"] = str(status)
        super().__init__(message, metadata=metadata)
        self.attempts = attempts
        self.status = status


class UnusableAnswer(Exception):
    """The endpoint answered, but not with anything usable (no description, wrong count of
    vectors). Raised from inside a request; not retried, since the same prompt would most
    likely get the same answer."""


@dataclass
class Counters:
    """What a stage did, for the job's progress and log."""

    requests: int = 0  # HTTP requests sent, every retry counted
    retries: int = 0
    cache_hits: int = 0
    cache_misses: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits between d/2 and d, d = base * 2**(n-1).

    Half of the delay is fixed so a retry never comes back almost at once; the random half
    spreads out many workers that failed together. A server's Retry-After is honoured up to
    `max_delay`.
    """

    max_attempts: int = 4
    backoff_base: float = 0.5
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        ceiling = min(self.max_delay, self.backoff_base * 2 ** (attempt - 1))
        wait = ceiling / 2 + random.uniform(0, ceiling / 2)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait


def is_transient(exc: Exception) -> bool:
    """Timeouts, connection errors, rate limits and server errors; not 4xx request errors."""
    import openai  # loaded already: only a client's requests fail

    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    status = getattr(exc, "status_code", None)
    return status is not None and (status in TRANSIENT_STATUSES or status >= 500)


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:  # an HTTP date: rare from model servers; our own backoff will do
        return None


async def request_with_retries(send: Callable[[], Awaitable[T]], *, gate: LlmGate,
                               policy: RetryPolicy, counters: Counters, what: str,
                               failure: type[LlmRequestFailed] = LlmRequestFailed) -> T:
    """Run `send` (one HTTP request and the parsing of its answer) until it succeeds,
    retrying transient failures.

    The gate is awaited immediately before every attempt, so a lock taken during a backoff
    sleep holds the retry back too. Raises `failure` when the error is not transient or the
    attempts are used up.
    """
    import openai  # loaded already: `send` uses a client

    attempt = 0
    while True:
        attempt += 1
        await gate.wait_open()
        counters.requests += 1
        try:
            return await send()
        except (openai.APIError, UnusableAnswer) as exc:
            status = getattr(exc, "status_code", None)
            if not is_transient(exc) or attempt >= policy.max_attempts:
                raise failure(f"{what} failed after {attempt} attempt(s): {_describe(exc)}",
                              attempts=attempt, status=status) from exc
            delay = policy.delay(attempt, _retry_after(exc))
            log.warning("%s: attempt %d/%d failed (%s); retrying in %.2fs", what, attempt,
                        policy.max_attempts, _describe(exc), delay)
        counters.retries += 1
        await asyncio.sleep(delay)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"
