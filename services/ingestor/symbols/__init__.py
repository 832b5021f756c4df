"""Symbol extraction per language (see extract.py); `rules_for` names the covered languages."""

from __future__ import annotations

from services.ingestor.symbols import c_family, go, javascript, jvm, python, rust, scripting
from services.ingestor.symbols.rules import Rules

RULES: dict[str, Rules] = {
    "python": python.RULES,
    "javascript": javascript.JAVASCRIPT,
    "typescript": javascript.TYPESCRIPT,
    "tsx": javascript.TYPESCRIPT,
    "go": go.RULES,
    "rust": rust.RULES,
    "java": jvm.JAVA,
    "kotlin": jvm.KOTLIN,
    "c": c_family.C,
    "cpp": c_family.CPP,
    "csharp": c_family.CSHARP,
    "ruby": scripting.RUBY,
    "php": scripting.PHP,
}


def rules_for(language: str) -> Rules | None:
    return RULES.get(language)
