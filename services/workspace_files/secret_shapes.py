"""Credentials recognised by their shape in a file's text, whatever the file is called.

A file holding one is never indexed, sent to a model or served (`source_text.read_text` is
where both the ingestor and the MCP docs index apply this). Only shapes that are credentials
and almost nothing else are listed: a fixed, vendor-chosen prefix followed by the token's
exact alphabet and length, or a private key's armour line. Generic "long random string"
guessing is left out on purpose: it flags hashes, ids and test data, and a skipped file is
content an agent can no longer find.

The patterns run on decoded text (str), never on raw bytes: in UTF-16 or UTF-32 a token's
characters are not adjacent bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Shape:
    """One kind of credential. Every match contains one of `anchors`: a plain substring test
    for them (C speed) comes first, so the regex, whose leading \\b keeps Python's regex engine
    from skipping ahead to a literal, runs only on the rare text that has one."""

    name: str  # as the README lists it
    anchors: tuple[str, ...]
    pattern: str

    @cached_property
    def regex(self) -> re.Pattern[str]:
        # re.ASCII: \b sees only ASCII word characters, so a token glued to "é" is still found.
        return re.compile(self.pattern, re.ASCII)

    def found_in(self, text: str) -> bool:
        return any(anchor in text for anchor in self.anchors) and \
            self.regex.search(text) is not None


# tests/unit/test_secret_shapes.py holds a sample and near-misses for each. A leading \b keeps
# a prefix inside a longer word ("task-", base64 blobs) from counting.
SHAPES: tuple[Shape, ...] = (
    Shape("private key block", ("PRIVATE KEY",),
          r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    Shape("AWS access key id (AKIA, ASIA)", ("AKIA", "ASIA"), r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    Shape("Azure storage account key", ("AccountKey=",), r"\bAccountKey=[A-Za-z0-9+/]{86}=="),
    Shape("GitHub token (ghp_, gho_, ghu_, ghs_, ghr_)",
          ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), r"\bgh[pousr]_[A-Za-z0-9]{36,}"),
    Shape("GitHub fine-grained token (github_pat_)", ("github_pat_",),
          r"\bgithub_pat_[A-Za-z0-9_]{70,}"),
    Shape("GitLab token (glpat-)", ("glpat-",), r"\bglpat-[A-Za-z0-9_-]{20,}"),
    Shape("Slack token (xoxa-, xoxb-, xoxe-, xoxp-, xoxr-, xoxs-)", ("xox",),
          r"\bxox[abeprs]-[0-9A-Za-z-]{10,}"),
    Shape("Slack webhook URL", ("hooks.slack.com/",),
          r"\bhooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]{6,}/[A-Z0-9]{6,}/"
          r"[A-Za-z0-9]{20,}"),
    # Legacy OpenAI keys (and the providers copying their shape) are sk- and letters and digits
    # only, so "sk-learn-compatible-..." with its dashes is not one.
    Shape("OpenAI key (sk-proj-, sk-svcacct-, sk-admin-, sk-)", ("sk-",),
          r"\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{32,})"),
    Shape("Anthropic key (sk-ant-)", ("sk-ant-",), r"\bsk-ant-[a-z]+[0-9]{2}-[A-Za-z0-9_-]{80,}"),
    Shape("Google API key (AIza)", ("AIza",), r"\bAIza[0-9A-Za-z_-]{35}"),
    Shape("Google OAuth client secret (GOCSPX-)", ("GOCSPX-",), r"\bGOCSPX-[A-Za-z0-9_-]{28}"),
    Shape("Stripe live secret or restricted key (sk_live_, rk_live_)", ("k_live_",),
          r"\b[rs]k_live_[0-9A-Za-z]{24,}"),
    Shape("npm token (npm_)", ("npm_",), r"\bnpm_[A-Za-z0-9]{36}\b"),
    Shape("PyPI token (pypi-AgE)", ("pypi-AgE",), r"\bpypi-AgE[A-Za-z0-9_-]{70,}"),
    Shape("SendGrid key (SG.)", ("SG.",), r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
    Shape("Shopify token (shpat_, shpca_, shppa_, shpss_)", ("shp",),
          r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    Shape("DigitalOcean token (dop_v1_, doo_v1_, dor_v1_)", ("_v1_",),
          r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
)


def holds_secret(text: str) -> bool:
    """True when `text` holds a private key block or an access token of a known shape."""
    return any(shape.found_in(text) for shape in SHAPES)
