"""Enrich: an LLM writes a one-sentence description and purpose per chunk, and a file summary.

Everything is cached by content hash and model, so unchanged code is never sent twice. A
request that fails for good raises EnrichmentFailed and caches nothing: the pipeline reports
the file and the next run asks again. Nothing here ever makes a description up.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from services.domain.models import Chunk, Enrichment
from services.inference.llm import (
    Counters,
    LlmGate,
    LlmRequestFailed,
    RetryPolicy,
    UnusableAnswer,
    request_with_retries,
)
from services.storage.port import ModelCaches

if TYPE_CHECKING:  # imported only where a client is made (services/inference/llm.py)
    import openai

CHUNK_INSTRUCTIONS = (
    "You describe source code for a code search index. Reply with one JSON object and "
    "nothing else:\n"
    '{"description": "<one sentence: what the code does>", '
    '"purpose": "<one sentence: why it exists, its role in the project>"}'
)
FILE_INSTRUCTIONS = (
    "You summarise source files for a code search index. Reply with one JSON object and "
    "nothing else:\n"
    '{"summary": "<one or two sentences: what the file holds and what it is for>"}'
)

# Prompt sizes stay well inside the context window of small local models.
MAX_CODE_CHARS = 6_000
MAX_HEAD_CHARS = 2_000
MAX_SYMBOLS = 60
MAX_FIELD_CHARS = 400  # a "sentence" longer than this is the model rambling


class EnrichmentFailed(LlmRequestFailed):
    """A chunk or file could not be enriched this run (see LlmRequestFailed)."""

    default_reason = "ENRICHMENT_FAILED"


class Enricher:
    """Describes chunks and summarises files through an OpenAI-compatible chat endpoint."""

    def __init__(self, client: openai.AsyncOpenAI, model: str, storage: ModelCaches,
                 gate: LlmGate, *, concurrency: int = 4, max_attempts: int = 4,
                 backoff_base: float = 0.5, max_tokens: int = 512) -> None:
        self.model = model  # the enrichment cache key
        self.summary_model = f"{model}#file-summary"  # same cache, keyed by file hash
        self.counters = Counters()
        self._client = client
        self._storage = storage
        self._gate = gate
        self._policy = RetryPolicy(max_attempts=max_attempts, backoff_base=backoff_base)
        self._semaphore = asyncio.Semaphore(concurrency)
        self._max_tokens = max_tokens

    async def enrich(self, chunks: Sequence[Chunk]) -> list[Chunk]:
        """The chunks, in order, with description and purpose from the cache or the LLM.

        Raises EnrichmentFailed on the first chunk that cannot be described; the chunks that
        were described before that are cached all the same. Call it per file, so one bad
        chunk stops no more than its own file.
        """
        by_hash = {chunk.content_hash: chunk for chunk in chunks}  # same text, one request
        known = await self._storage.get_enrichments(self.model, by_hash)
        misses = [chunk for digest, chunk in by_hash.items() if digest not in known]
        self.counters.cache_hits += len(by_hash) - len(misses)
        self.counters.cache_misses += len(misses)
        known.update(await self._describe_all(misses))
        return [replace(chunk, description=known[chunk.content_hash].description,
                        purpose=known[chunk.content_hash].purpose) for chunk in chunks]

    async def summarize_file(self, path: str, language: str, file_hash: str,
                             chunks: Sequence[Chunk]) -> str:
        """A one- or two-sentence summary of the file, cached by the file's content hash.

        Call it with the file's enriched chunks: their descriptions go into the prompt, and
        the cached summary is reused for as long as the file is unchanged. Raises
        EnrichmentFailed like `enrich`.
        """
        cached = await self._storage.get_enrichments(self.summary_model, [file_hash])
        if file_hash in cached:
            self.counters.cache_hits += 1
            return cached[file_hash].description
        self.counters.cache_misses += 1
        answer = await self._ask(FILE_INSTRUCTIONS, file_prompt(path, language, chunks),
                                 lambda text: parse_answer(text, ("summary",)),
                                 what=f"summary of {path}")
        summary = answer["summary"]
        await self._storage.put_enrichments(self.summary_model,
                                            {file_hash: Enrichment(summary, "")})
        return summary

    async def _describe_all(self, chunks: Sequence[Chunk]) -> dict[str, Enrichment]:
        # A failure that survived the retries usually means the endpoint is down for all of
        # them: the first one stops the rest instead of letting each retry on its own.
        stop = asyncio.Event()
        tasks = {asyncio.create_task(self._describe(chunk, stop)): chunk.content_hash
                 for chunk in chunks}
        if not tasks:
            return {}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        finally:  # also when we are cancelled: whatever finished is kept for the next run
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            done = {digest: task.result() for task, digest in tasks.items()
                    if not task.cancelled() and task.exception() is None}
            if done:
                await self._storage.put_enrichments(self.model, done)
        for task in tasks:
            error = None if task.cancelled() else task.exception()
            if error is not None and not isinstance(error, _CalledOff):
                raise error
        return done

    async def _describe(self, chunk: Chunk, stop: asyncio.Event) -> Enrichment:
        answer = await self._ask(CHUNK_INSTRUCTIONS, chunk_prompt(chunk),
                                 lambda text: parse_answer(text, ("description", "purpose")),
                                 what=f"enrichment of {chunk.path}:{chunk.start_line}",
                                 stop=stop)
        return Enrichment(answer["description"], answer["purpose"])

    async def _ask(self, instructions: str, prompt: str,
                   parse: Callable[[str], dict[str, str]], *, what: str,
                   stop: asyncio.Event | None = None) -> dict[str, str]:
        async def send() -> dict[str, str]:
            response = await self._client.chat.completions.create(
                model=self.model,
                messages=[{"role": "system", "content": instructions},
                          {"role": "user", "content": prompt}],
                temperature=0,  # the same code should get the same words
                max_tokens=self._max_tokens,
            )
            content = response.choices[0].message.content if response.choices else None
            return parse(content or "")

        async with self._semaphore:
            # `stop` is checked and set while the slot is held: a failing request sets it
            # before its slot passes to a waiting one, which then sends nothing.
            if stop is not None and stop.is_set():
                raise _CalledOff
            try:
                return await request_with_retries(send, gate=self._gate, policy=self._policy,
                                                  counters=self.counters, what=what,
                                                  failure=EnrichmentFailed)
            except EnrichmentFailed:
                if stop is not None:
                    stop.set()
                raise


class _CalledOff(Exception):
    """Another chunk of the same call failed for good; this one was not attempted."""


# --- prompts -----------------------------------------------------------------------------

def chunk_prompt(chunk: Chunk) -> str:
    code = chunk.text[:MAX_CODE_CHARS]
    if len(chunk.text) > MAX_CODE_CHARS:
        code += "\n… (truncated)"
    return (f"Path: {chunk.path}\nLanguage: {chunk.language}\n"
            f"Symbol: {chunk.symbol or '(none)'} ({chunk.kind})\n\n"
            f"```{chunk.language}\n{code}\n```")


def file_prompt(path: str, language: str, chunks: Sequence[Chunk]) -> str:
    ordered = sorted(chunks, key=lambda c: (c.start_line, -c.end_line))
    symbols, seen = [], set()
    for chunk in ordered:
        if chunk.symbol and chunk.symbol not in seen and len(symbols) < MAX_SYMBOLS:
            seen.add(chunk.symbol)
            line = f"- {chunk.symbol} ({chunk.kind}, lines {chunk.start_line}-{chunk.end_line})"
            symbols.append(f"{line}: {chunk.description}" if chunk.description else line)
    return (f"Path: {path}\nLanguage: {language}\n"
            f"Symbols:\n{chr(10).join(symbols) or '(none)'}\n\n"
            f"Head of the file:\n```{language}\n{file_head(ordered)}\n```")


def file_head(ordered: Sequence[Chunk]) -> str:
    """The file's first characters, rebuilt from chunks in line order.

    Chunks nest (a class and its methods), so a chunk inside lines already taken is skipped.
    """
    parts, covered, size = [], 0, 0
    for chunk in ordered:
        if chunk.start_line <= covered:
            continue
        parts.append(chunk.text)
        covered, size = chunk.end_line, size + len(chunk.text)
        if size >= MAX_HEAD_CHARS:
            break
    return "\n".join(parts)[:MAX_HEAD_CHARS]


# --- answers -----------------------------------------------------------------------------

_FENCED = re.compile(r"^```[\w+-]*[ \t]*\n?(.*?)\n?```$", re.S)
_OBJECT = re.compile(r"\{.*\}", re.S)
_LABELLED = re.compile(r"^[\s*_#>-]*(\w+)[*_]*\s*:[*_]*\s*(.+)$", re.M)


def parse_answer(text: str, fields: Sequence[str]) -> dict[str, str]:
    """The named fields of a model's answer, each cleaned to one line.

    Models do not always follow the format asked for, so this accepts, in order: a JSON
    object (bare, in a code fence, or amid prose); labelled lines ("Description: …"); plain
    prose, taken as the first field. Raises UnusableAnswer when the first field is missing
    or empty, or the answer is a JSON object that does not parse (cut off by the token
    limit): such text must not become a description.
    """
    body = text.strip()
    if fenced := _FENCED.match(body):
        body = fenced.group(1).strip()
    parsed = _json_object(body)
    if parsed is not None:
        values = {name: _clean(parsed.get(name)) for name in fields}
    elif body.startswith("{"):
        raise UnusableAnswer(f"the answer is broken JSON: {body[:120]!r}")
    else:
        labelled = {m.group(1).lower(): m.group(2) for m in _LABELLED.finditer(body)}
        values = {name: _clean(labelled.get(name)) for name in fields}
        if not any(values.values()):
            values[fields[0]] = _clean(body)
    if not values[fields[0]]:
        raise UnusableAnswer(f"the answer has no {fields[0]}: {text[:120]!r}")
    return values


def _json_object(body: str) -> dict | None:
    for candidate in (body, m.group(0) if (m := _OBJECT.search(body)) else None):
        if candidate is None:
            continue
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _clean(value: object) -> str:
    if not isinstance(value, str):
        return ""
    line = " ".join(value.split())
    if len(line) > MAX_FIELD_CHARS:
        line = line[:MAX_FIELD_CHARS].rsplit(" ", 1)[0] + "…"
    return line
