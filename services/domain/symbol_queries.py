"""What the symbol storage is asked: which definitions, by name, prefix, qualified name,
kind and path. Every field given must hold (AND); an empty field does not narrow."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DefinitionMatch:
    names: tuple[str, ...] = ()  # any of these bare names
    prefix: str = ""  # the bare name starts with this (case-sensitive)
    qualified_names: tuple[str, ...] = ()  # any of these qualified names within their file
    kinds: tuple[str, ...] = ()  # chunk kinds ("function", "method", "class", ...)
    path_glob: str = ""  # services/domain/path_glob.py
    paths: tuple[str, ...] = ()  # any of these files
