"""The Scan stage against a workspace holding every awkward case the issue names."""

from __future__ import annotations

import codecs
import os
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.workspace_files import walk as scan_module
from services.workspace_files.policy import (
    DEFAULT_MAX_FILE_BYTES,
    ScannedFile,
    ScanRules,
    SkippedFile,
    SkipReason,
)
from services.workspace_files.read import read_source
from services.workspace_files.source_text import SourceText
from services.workspace_files.walk import Walk, scan

LIMIT = 1000  # a small size limit, so "too large" needs no big file


def write(root: Path, rel: str, content: str | bytes = "x = 1\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def link(root: Path, rel: str, target: str | Path) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, root / rel)


def write_undecodable_name(root: Path) -> None:
    """caf\\xe9.py: a Latin-1 name, which is not valid UTF-8."""
    try:
        fd = os.open(os.fsencode(root) + b"/caf\xe9.py", os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError:
        pytest.skip("this filesystem refuses names that are not UTF-8")
    os.write(fd, b"print('caf\\xe9')\n")
    os.close(fd)


def results(root: Path, rules: ScanRules) -> tuple[set[str], dict[str, str]]:
    indexed: set[str] = set()
    skipped: dict[str, str] = {}
    for item in scan(root, rules):
        if isinstance(item, ScannedFile):
            indexed.add(item.path)
        else:
            assert item.path not in skipped, f"{item.path} reported twice"
            skipped[item.path] = item.reason
    assert not indexed & skipped.keys()
    return indexed, skipped


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    write(folder, "secret.txt", "not yours\n")
    return folder


@pytest.fixture
def workspace(tmp_path: Path, outside: Path) -> Path:
    ws = tmp_path / "ws"
    # ignore rules: root, nested, the project's own file, and git's local exclude
    write(ws, ".gitignore", "*.log\n!keep.log\nout/\n/generated.py\n")
    write(ws, ".knowportignore", "drafts/\n!wip.log\n")
    write(ws, ".git/HEAD", "ref: refs/heads/main\n")
    write(ws, ".git/info/exclude", "local-notes.txt\n")
    write(ws, "src/.gitignore", "*.tmp\n!important.log\n")
    for rel in ("README.md", "keep.log", "wip.log", "scratch.tmp", "app.log", "generated.py",
                "local-notes.txt", "out/a.txt", "src/main.py", "src/generated.py", "src/out",
                "src/important.log", "src/other.log", "src/x.tmp", "docs/guide.md",
                "docs/drafts/wip.md", "config/settings.toml", "node_modules/pkg/index.js",
                "pkg.egg-info/PKG-INFO", ".env", ".env.example", "config/server.pem", "id_rsa"):
        write(ws, rel)
    # contents
    write(ws, "logo.png", b"\x89PNG\r\n\x1a\n")
    write(ws, "blob.dat", b"abc\x00def")
    write(ws, "big.txt", "x" * (LIMIT + 1))
    write(ws, "exact.txt", "x" * LIMIT)
    write(ws, "latin1.txt", b"caf\xe9 = 1\n")
    write(ws, "bom.py", codecs.BOM_UTF8 + b"x = 1\n")
    write(ws, "utf16.txt", "h\u00e9llo\n".encode("utf-16"))
    write_undecodable_name(ws)
    os.mkfifo(ws / "fifo")
    # symlinks
    link(ws, "loop", ".")
    link(ws, "src/up", "..")
    link(ws, "self", "self")
    link(ws, "alias", "src")
    link(ws, "link.py", "src/main.py")
    link(ws, "notes", ".env")
    link(ws, "outside_file", outside / "secret.txt")
    link(ws, "outside_dir", outside)
    link(ws, "dangling", "missing.txt")
    return ws


EXPECTED_INDEXED = {
    ".gitignore", ".knowportignore", "README.md", "keep.log", "wip.log", "scratch.tmp",
    "src/.gitignore", "src/main.py", "src/generated.py", "src/out", "src/important.log",
    "docs/guide.md", "config/settings.toml", "blob.dat", "exact.txt", "latin1.txt", "bom.py",
    "utf16.txt", "caf\\xe9.py", "link.py",
}
EXPECTED_SKIPPED = {
    ".git/": SkipReason.SKIPPED_FOLDER,
    "node_modules/": SkipReason.SKIPPED_FOLDER,
    "pkg.egg-info/": SkipReason.SKIPPED_FOLDER,
    ".env": SkipReason.SECRET,
    ".env.example": SkipReason.SECRET,
    "config/server.pem": SkipReason.SECRET,
    "id_rsa": SkipReason.SECRET,
    "notes": SkipReason.SECRET,
    "logo.png": SkipReason.BINARY,
    "big.txt": SkipReason.TOO_LARGE,
    "fifo": SkipReason.NOT_REGULAR,
    "loop": SkipReason.SYMLINK_LOOP,
    "src/up": SkipReason.SYMLINK_LOOP,
    "self": SkipReason.SYMLINK_LOOP,
    "alias": SkipReason.SYMLINKED_FOLDER,
    "outside_file": SkipReason.OUTSIDE,
    "outside_dir": SkipReason.OUTSIDE,
    "dangling": SkipReason.BROKEN_SYMLINK,
}
# Ignored by .gitignore, .knowportignore or .git/info/exclude: neither indexed nor listed.
SILENT = {"app.log", "generated.py", "local-notes.txt", "out/", "out/a.txt", "src/other.log",
          "src/x.tmp", "docs/drafts/", "docs/drafts/wip.md"}


def test_every_file_is_indexed_or_skipped_with_its_reason(workspace):
    indexed, skipped = results(workspace, ScanRules(max_file_bytes=LIMIT))
    assert indexed == EXPECTED_INDEXED
    assert skipped == EXPECTED_SKIPPED
    assert not SILENT & (indexed | skipped.keys())


def test_output_is_sorted_by_path_and_repeatable(workspace):
    paths = [item.path for item in scan(workspace, ScanRules(max_file_bytes=LIMIT))]
    assert paths == sorted(paths)
    assert paths == [item.path for item in scan(workspace, ScanRules(max_file_bytes=LIMIT))]


def test_scanned_files_carry_size_mtime_and_an_openable_path(workspace):
    by_path = {item.path: item for item in scan(workspace, ScanRules(max_file_bytes=LIMIT))}
    exact = by_path["exact.txt"]
    assert exact.size_bytes == LIMIT
    assert exact.mtime_ns == os.stat(workspace / "exact.txt").st_mtime_ns
    undecodable = by_path["caf\\xe9.py"]
    undecodable.path.encode("utf-8")  # reportable as is
    assert os.fsencode(undecodable.abs_path).endswith(b"/caf\xe9.py")  # the real name
    linked = by_path["link.py"]
    assert linked.abs_path == workspace.resolve() / "link.py"  # indexed under the link's path


def scanned(workspace: Path, path: str, limit: int = LIMIT) -> ScannedFile:
    (item,) = [i for i in scan(workspace, ScanRules(max_file_bytes=limit)) if i.path == path]
    assert isinstance(item, ScannedFile)
    return item


def read(workspace: Path, path: str, limit: int = LIMIT) -> SourceText | SkippedFile:
    return read_source(scanned(workspace, path, limit), workspace, limit)


@pytest.mark.parametrize("path, text, note", [
    ("README.md", "x = 1\n", ""),
    ("caf\\xe9.py", "print('caf\\xe9')\n", ""),
    ("link.py", "x = 1\n", ""),
    ("bom.py", "x = 1\n", ""),  # the BOM is not part of the text
    ("latin1.txt", "caf\ufffd = 1\n", "not valid UTF-8; undecodable bytes replaced"),
    ("utf16.txt", "h\u00e9llo\n", "decoded from UTF-16"),
])
def test_read_source_decodes_text(workspace, path, text, note):
    item = scanned(workspace, path)
    source = read_source(item, workspace, LIMIT)
    assert isinstance(source, SourceText)
    assert (source.text, source.encoding_note) == (text, note)
    assert source.data == item.abs_path.read_bytes()  # the raw bytes, BOM and all, for hashing


# Built at run time, so this file itself holds no credential-shaped text.
CREDENTIALS = {
    "deploy/notes.txt": "key:\n-----BEGIN " + "RSA PRIVATE KEY-----\nMIIE\n",
    "app/aws.py": "ACCESS_KEY = '" + "AKIA" + "Q" * 16 + "'\n",
    "ci/token.sh": "export GH=" + "ghp_" + "a1" * 18 + "\n",
}


@pytest.mark.parametrize("path", sorted(CREDENTIALS))
def test_a_credential_in_the_content_skips_the_file_whatever_its_name(tmp_path, path):
    write(tmp_path, path, CREDENTIALS[path])
    item = scanned(tmp_path, path)
    assert read_source(item, tmp_path, LIMIT) == SkippedFile(path, SkipReason.SECRET_CONTENT)
    assert isinstance(read_source(item, tmp_path, LIMIT, skip_secrets=False), SourceText)


# Every way the decoder accepts a text file's bytes: a credential must be found in each.
ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 with BOM": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16-le with BOM (PowerShell)": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16-be with BOM": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "utf-16-le without BOM": lambda text: text.encode("utf-16-le"),
    "utf-16-be without BOM": lambda text: text.encode("utf-16-be"),
    "utf-32-le with BOM": lambda text: codecs.BOM_UTF32_LE + text.encode("utf-32-le"),
    "utf-32-be with BOM": lambda text: codecs.BOM_UTF32_BE + text.encode("utf-32-be"),
    "latin-1 (not UTF-8)": lambda text: text.encode("latin-1"),
}
PLAIN = "caf\u00e9 = 1\nprint(caf\u00e9)\n"


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_every_accepted_encoding_decodes_to_the_text(tmp_path, encoding):
    write(tmp_path, "plain.txt", ENCODINGS[encoding](PLAIN))
    source = read(tmp_path, "plain.txt")
    assert isinstance(source, SourceText), source
    expected = PLAIN.replace("\u00e9", "\ufffd") if encoding.startswith("latin") else PLAIN
    assert source.text == expected


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("path", sorted(CREDENTIALS))
def test_a_credential_is_found_in_every_encoding(tmp_path, path, encoding):
    write(tmp_path, path, ENCODINGS[encoding]("caf\u00e9\n" + CREDENTIALS[path]))
    item = scanned(tmp_path, path)
    assert read_source(item, tmp_path, LIMIT) == SkippedFile(path, SkipReason.SECRET_CONTENT)
    assert isinstance(read_source(item, tmp_path, LIMIT, skip_secrets=False), SourceText)


@pytest.mark.parametrize("data", [
    b"\x01\x00\x02\x00\x03\x00\x04\x00",  # even NUL pattern, but control characters
    b"a\x00b\x00c\x00\x00\x00",  # a NUL code unit
    b"a\x00b\x00\x00\xd8",  # a lone surrogate
    b"a\x00b\x00c",  # an odd length
    b"\x00\x00\x00\x00abcd",  # NULs on both sides
], ids=["controls", "nul-unit", "lone-surrogate", "odd-length", "nul-run"])
def test_binary_data_is_not_mistaken_for_utf16_without_bom(tmp_path, data):
    write(tmp_path, "blob.bin.txt", data)
    assert read(tmp_path, "blob.bin.txt") == SkippedFile("blob.bin.txt", SkipReason.BINARY)


def test_credential_like_words_are_not_credentials(tmp_path):
    write(tmp_path, "docs.md", "Set AKIA keys and a PRIVATE KEY in the vault; sk-short.\n")
    assert isinstance(read(tmp_path, "docs.md"), SourceText)


def test_a_nul_byte_means_binary(workspace):
    assert read(workspace, "blob.dat") == SkippedFile("blob.dat", SkipReason.BINARY)


def test_a_nul_byte_after_the_first_8_kb_does_not(tmp_path):
    write(tmp_path, "late.txt", b"a" * 8192 + b"\x00")
    source = read(tmp_path, "late.txt", limit=DEFAULT_MAX_FILE_BYTES)
    assert isinstance(source, SourceText)


def test_a_file_that_vanishes_before_it_is_read(workspace):
    item = scanned(workspace, "src/main.py")
    (workspace / "src/main.py").unlink()
    assert read_source(item, workspace, LIMIT) == SkippedFile("src/main.py", SkipReason.VANISHED)


def test_a_file_swapped_for_a_symlink_out_of_the_workspace_is_not_read(workspace, outside):
    item = scanned(workspace, "src/main.py")
    (workspace / "src/main.py").unlink()
    os.symlink(outside / "secret.txt", workspace / "src/main.py")
    assert read_source(item, workspace, LIMIT) == SkippedFile("src/main.py", SkipReason.OUTSIDE)


def test_a_file_swapped_for_a_fifo_does_not_hang_the_reader(workspace):
    item = scanned(workspace, "src/main.py")
    (workspace / "src/main.py").unlink()
    os.mkfifo(workspace / "src/main.py")
    assert read_source(item, workspace, LIMIT) == SkippedFile("src/main.py",
                                                              SkipReason.NOT_REGULAR)


def test_a_file_that_grew_past_the_limit_is_too_large(workspace):
    item = scanned(workspace, "exact.txt")
    with open(workspace / "exact.txt", "a") as handle:
        handle.write("y")
    assert read_source(item, workspace, LIMIT) == SkippedFile("exact.txt", SkipReason.TOO_LARGE)


def test_an_unlistable_folder_is_skipped_once(workspace, monkeypatch):
    real_scandir = os.scandir
    locked = str(workspace.resolve() / "config")

    def scandir(path):  # root can read anything, so chmod cannot simulate this
        if path == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(scan_module.os, "scandir", scandir)
    indexed, skipped = results(workspace, ScanRules(max_file_bytes=LIMIT))
    assert skipped["config/"] == SkipReason.UNREADABLE
    assert not {p for p in indexed | skipped.keys() if p.startswith("config/") and p != "config/"}


def test_a_folder_that_is_its_own_ancestor_is_not_entered_again(tmp_path, monkeypatch):
    # What a bind mount of the workspace inside itself looks like: same (st_dev, st_ino).
    write(tmp_path, "a.py")
    write(tmp_path, "mnt/b.py")
    real_lstat = os.lstat
    mount = str(tmp_path.resolve() / "mnt")
    root = str(tmp_path.resolve())
    monkeypatch.setattr(scan_module.os, "lstat",
                        lambda path: real_lstat(root if path == mount else path))
    indexed, skipped = results(tmp_path, ScanRules())
    assert (indexed, skipped) == ({"a.py"}, {"mnt/": SkipReason.FILESYSTEM_LOOP})


def test_include_and_exclude_rules(tmp_path):
    for rel in ("src/app.py", "src/app_test.py", "src/style.css", "docs/index.md",
                "docs/api/ref.md", "Makefile", "README.md", "NOTES.MD", "lib/x.js",
                "lib/x.min.js"):
        write(tmp_path, rel)
    rules = ScanRules(include_extensions=(".py", ".md", ".js"), include_globs=("Makefile",),
                      exclude_globs=("docs/", "*_test.py", "*.min.js"))
    indexed, skipped = results(tmp_path, rules)
    # An include glob adds to the extensions; extensions ignore case; excludes win.
    assert indexed == {"Makefile", "NOTES.MD", "README.md", "lib/x.js", "src/app.py"}
    assert skipped == {
        "docs/": SkipReason.EXCLUDED,  # one entry for the folder, not one per file
        "lib/x.min.js": SkipReason.EXCLUDED,
        "src/app_test.py": SkipReason.EXCLUDED,
        "src/style.css": SkipReason.NOT_INCLUDED,
    }


def test_secrets_and_skipped_folders_can_be_switched_off(tmp_path):
    write(tmp_path, ".env", "TOKEN=1\n")
    write(tmp_path, "vendor/lib.py")
    indexed, skipped = results(tmp_path, ScanRules(skip_secrets=False, skip_dir_names=()))
    assert (indexed, skipped) == ({".env", "vendor/lib.py"}, {})


def test_a_knowportignore_can_override_the_gitignore_beside_it(tmp_path):
    write(tmp_path, ".gitignore", "*.gen.py\n")
    write(tmp_path, ".knowportignore", "!api.gen.py\n")
    write(tmp_path, "api.gen.py")
    write(tmp_path, "db.gen.py")
    indexed, _ = results(tmp_path, ScanRules(ignore_file_names=(".gitignore", ".knowportignore")))
    assert indexed == {".gitignore", ".knowportignore", "api.gen.py"}
    indexed, _ = results(tmp_path, ScanRules(ignore_file_names=(".gitignore",)))
    assert indexed == {".gitignore", ".knowportignore"}


def test_a_bad_line_in_a_gitignore_does_not_lose_the_others(tmp_path):
    write(tmp_path, ".gitignore", "!\n*.log\n")  # a lone '!' is not a pattern
    write(tmp_path, "a.log")
    write(tmp_path, "a.py")
    assert results(tmp_path, ScanRules())[0] == {".gitignore", "a.py"}


def test_a_missing_workspace_is_an_error(tmp_path):
    with pytest.raises(NotADirectoryError):
        list(scan(tmp_path / "nope", ScanRules()))


# --- rules from settings -------------------------------------------------------------------------

def test_rules_from_comma_separated_settings():
    rules = ScanRules.from_strings(include_extensions=" .py, .md ,", include_globs="Makefile",
                                   exclude_globs="docs/**,*.min.js", max_file_bytes="2048")
    assert rules.include_extensions == (".py", ".md")
    assert rules.include_globs == ("Makefile",)
    assert rules.exclude_globs == ("docs/**", "*.min.js")
    assert rules.max_file_bytes == 2048
    assert ScanRules.from_strings() == ScanRules()
    assert ScanRules().max_file_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize("setting, value, message", [
    ("include_extensions", "py", "'py' must look like '.py'"),
    ("include_extensions", "*.py", "use an include glob"),
    ("exclude_globs", "docs/**,!docs/api", "'!docs/api': '!' negation"),
    ("include_globs", "src\\", "'src\\\\' is not a valid glob"),
    ("max_file_bytes", "ten", "whole number of bytes, not 'ten'"),
    ("max_file_bytes", "0", "positive number of bytes, not 0"),
    ("max_file_bytes", "-1", "positive number of bytes, not -1"),
])
def test_bad_settings_are_refused_with_a_clear_message(setting, value, message):
    with pytest.raises(ValueError) as info:
        ScanRules.from_strings(**{setting: value})
    assert message in str(info.value)


def test_a_single_string_is_not_mistaken_for_a_tuple():
    with pytest.raises(ValueError, match="tuple of strings"):
        ScanRules(include_extensions=".py")  # type: ignore[arg-type]


# --- properties ----------------------------------------------------------------------------------

_NAMES = st.text(alphabet="ab.-_~", min_size=1, max_size=3).filter(lambda n: n not in {".", ".."})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_NAMES, min_size=1, max_size=3), min_size=1, max_size=12))
def test_any_tree_comes_out_complete_and_sorted(paths):
    # Names like "a", "a.b" and "a-" next to a folder "a/" are where naive sorting goes wrong.
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = set()
        for parts in paths:
            rel = "/".join(parts)
            if any(rel.startswith(f + "/") or f.startswith(rel + "/") for f in files | {rel}):
                continue  # a name cannot be both a file and a folder
            write(root, rel)
            files.add(rel)
        reported = [item.path for item in scan(root, ScanRules(skip_secrets=False))]
        assert reported == sorted(files)


# --- speed ---------------------------------------------------------------------------------------

def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def test_scanning_5000_files_costs_a_small_multiple_of_os_walk(tmp_path, capsys):
    for folder in range(50):
        sub = tmp_path / f"pkg{folder:02d}" / "mod"
        sub.mkdir(parents=True)
        for n in range(100):
            (sub / f"file{n:03d}.py").write_text("x = 1\n")
    write(tmp_path, ".gitignore", "*.log\nbuild/\n!keep.log\n")

    def walk_and_stat():  # the floor: scan must list every folder and stat every file
        for folder, _, names in os.walk(tmp_path):
            for name in names:
                os.stat(os.path.join(folder, name))

    assert sum(isinstance(item, ScannedFile) for item in scan(tmp_path, ScanRules())) == 5001
    walk = best_of(3, lambda: list(os.walk(tmp_path)))
    walk_stat = best_of(3, walk_and_stat)
    scanned = best_of(3, lambda: list(scan(tmp_path, ScanRules())))
    with capsys.disabled():
        print(f"\nscan of 5,001 files: {scanned * 1000:.0f} ms = {scanned / walk:.1f}x os.walk, "
              f"{scanned / walk_stat:.1f}x os.walk+stat")
    assert scanned < 20 * walk_stat  # loose: a regression to per-file subprocesses or re-reads



# -- the same walk, as the docs index uses it ---------------------------------------------------

def test_rules_can_index_no_symlinks(tmp_path):
    write(tmp_path, "a.md")
    link(tmp_path, "alias.md", "a.md")
    indexed, skipped = results(tmp_path, ScanRules(index_symlinks=False))
    assert indexed == {"a.md"}
    assert skipped == {"alias.md": SkipReason.SYMLINK_NOT_INDEXED}


def test_a_walk_from_chosen_folders_passes_over_what_the_caller_knows(tmp_path):
    for rel in ("top.md", "docs/old.md", "docs/new.md", "docs/seen/x.md", "docs/fresh/y.md"):
        write(tmp_path, rel)
    listed: dict[str, int] = {}
    walk = Walk(tmp_path, ScanRules(), known={"docs/old.md", "docs/seen/"}.__contains__,
                listed=listed.__setitem__)
    found = [item.path for item in walk.run(["docs/"])]
    # Only below docs/, nothing known, and no file of a known folder.
    assert found == ["docs/fresh/y.md", "docs/new.md"]
    # Each folder listed, with the mtime it had (taken before the listing).
    assert listed == {"docs/": os.lstat(tmp_path / "docs").st_mtime_ns,
                      "docs/fresh/": os.lstat(tmp_path / "docs/fresh").st_mtime_ns}
