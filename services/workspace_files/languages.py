"""Which language a file is written in, from its name or extension.

One table for every part that asks: the pipeline (which parser a file gets), search filters
(which language names exist) and the docs index.
"""

from __future__ import annotations

import posixpath

# Documents split by their headings; every other language without a grammar splits by
# blank-line paragraphs grouped up to the size limits.
MARKDOWN = "markdown"
RST = "rst"
TEXT = "text"

# fmt: off
_BY_EXTENSION: dict[str, str] = {
    # code with a grammar table below
    "py": "python", "pyi": "python", "pyw": "python",
    "js": "javascript", "mjs": "javascript", "cjs": "javascript", "jsx": "javascript",
    "ts": "typescript", "mts": "typescript", "cts": "typescript",
    "tsx": "tsx",
    "go": "go",
    "rs": "rust",
    "java": "java",
    "c": "c", "h": "c",
    "cc": "cpp", "cpp": "cpp", "cxx": "cpp", "c++": "cpp", "hh": "cpp", "hpp": "cpp",
    "hxx": "cpp", "h++": "cpp", "ipp": "cpp", "tpp": "cpp", "inl": "cpp",
    "cs": "csharp", "csx": "csharp",
    "rb": "ruby", "rake": "ruby", "gemspec": "ruby", "ru": "ruby",
    "php": "php", "phtml": "php",
    "kt": "kotlin", "kts": "kotlin",
    # documents
    "md": MARKDOWN, "markdown": MARKDOWN, "mdown": MARKDOWN, "mkd": MARKDOWN, "mdx": MARKDOWN,
    "rst": RST, "rest": RST,
    "txt": TEXT, "text": TEXT,
    # recognised, split by paragraphs
    "sh": "shell", "bash": "shell", "zsh": "shell", "ksh": "shell", "fish": "shell",
    "ps1": "powershell", "bat": "batch", "cmd": "batch",
    "yml": "yaml", "yaml": "yaml", "toml": "toml", "ini": "ini", "cfg": "ini", "conf": "ini",
    "json": "json", "jsonc": "json", "json5": "json", "xml": "xml", "xsd": "xml",
    "csv": "csv", "tsv": "csv", "proto": "protobuf", "graphql": "graphql", "gql": "graphql",
    "sql": "sql", "html": "html", "htm": "html", "xhtml": "html", "vue": "vue",
    "svelte": "svelte", "css": "css", "scss": "scss", "sass": "scss", "less": "less",
    "scala": "scala", "sc": "scala", "swift": "swift", "lua": "lua", "pl": "perl",
    "pm": "perl", "r": "r", "dart": "dart", "ex": "elixir", "exs": "elixir", "erl": "erlang",
    "hs": "haskell", "ml": "ocaml", "mli": "ocaml", "clj": "clojure", "cljs": "clojure",
    "groovy": "groovy", "gradle": "groovy", "m": "objc", "mm": "objc", "jl": "julia",
    "zig": "zig", "nim": "nim", "tf": "terraform", "hcl": "terraform", "tex": "latex",
    "cmake": "cmake", "mk": "makefile", "dockerfile": "dockerfile",
}

_BY_NAME: dict[str, str] = {
    "makefile": "makefile", "gnumakefile": "makefile", "dockerfile": "dockerfile",
    "containerfile": "dockerfile", "cmakelists.txt": "cmake", "gemfile": "ruby",
    "rakefile": "ruby", "jenkinsfile": "groovy", ".bashrc": "shell", ".zshrc": "shell",
    ".profile": "shell", ".bash_profile": "shell",
}
# fmt: on


def known_languages() -> frozenset[str]:
    """Every language name language_for can give a file (what a search filter may name)."""
    return frozenset((*_BY_EXTENSION.values(), *_BY_NAME.values(), TEXT))


def language_for(path: str) -> str:
    """The language of a file, from its name or extension; "text" when unknown."""
    name = posixpath.basename(path.replace("\\", "/")).lower()
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name.startswith(("dockerfile.", "containerfile.")):
        return "dockerfile"
    stem, dot, extension = name.rpartition(".")
    if dot and stem:  # ".gitignore" is a name, not an extension
        return _BY_EXTENSION.get(extension, TEXT)
    return TEXT
