"""What a lexical search looks for: the query's words, less English stop words, plus simple
inflections.

Agents ask in sentences ("Returns the parsed headers of a request") while code says
`parse_headers(request)`. The index holds code-aware tokens (services/domain/terms.py), so
the query's function words only add noise, and "returns"/"parsed"/"headers" miss "return",
"parse", "header". Stop words are dropped (unless nothing else is left) and each remaining
word brings its likely stems as extra alternatives; rare made-up variants match nothing and
cost nothing. Identifiers are left whole (`is_empty` keeps its "is"). Semantic search gets
the query as it was typed.
"""

from __future__ import annotations

import re

from services.domain.terms import search_terms

STOP_WORDS = frozenset((
    "a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "is", "are", "be", "by",
    "with", "as", "at", "from", "that", "this", "it", "its", "into", "which", "when", "if",
    "then", "than", "any", "all", "can", "will", "may", "should", "must", "not", "no", "was",
    "were", "been", "being", "has", "have", "had", "do", "does", "did", "your", "you", "we",
    "our", "they", "their", "there", "these", "those", "such", "also",
))

_WORD = re.compile(r"\w+")


def inflections(word: str) -> list[str]:
    """Likely stems of an English word: "returns" -> "return", "parsed" -> "parse", "parsing"
    -> "pars", "parse"; "entries" -> "entry"."""
    variants = []
    if word.endswith("ies") and len(word) > 4:
        variants.append(word[:-3] + "y")
    elif word.endswith("es") and len(word) > 4:
        variants += [word[:-2], word[:-1]]
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        variants.append(word[:-1])
    if word.endswith("ed") and len(word) > 4:
        variants += [word[:-1], word[:-2]]
    if word.endswith("ing") and len(word) > 5:
        variants += [word[:-3], word[:-3] + "e"]
    return variants


def content_words(query: str) -> list[str]:
    words = _WORD.findall(query)
    return [w for w in words if w.lower() not in STOP_WORDS] or words


def word_forms(query: str) -> list[frozenset[str]]:
    """For each content word of the query, the index terms that would count as it: its
    code-aware tokens and, for a plain word, its inflections."""
    forms = []
    for word in content_words(query):
        found = set(search_terms(word))
        if word.isalpha() and (word.islower() or word.istitle()):
            found.update(inflections(word.lower()))
        if found:
            forms.append(frozenset(found))
    return forms


def lexical_query(query: str) -> str:
    """The query for the lexical index (see the module doc): its content words, each with
    its inflections joined by `|` ("Returns the entries" -> "Returns|return entries|entry"),
    which storage reads as one word's alternative forms."""
    words: list[str] = []
    for word in content_words(query):
        forms = [word]
        if word.isalpha() and (word.islower() or word.istitle()):
            forms += inflections(word.lower())
        words.append("|".join(dict.fromkeys(forms)))
    return " ".join(words)
