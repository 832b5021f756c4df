"""Symbol extraction for Python: the language the symbols benchmark measures against jedi."""

from __future__ import annotations

import pickle

from services.domain.symbols import CALL, IMPORT, INHERITANCE, OTHER, TYPE_USE
from services.ingestor.chunking import parse_to_file
from services.ingestor.parse import TREE_MAX_BYTES, parse_file
from tests.support.symbols import definitions, extract, imports, references, signature, typed

SOURCE = '''
import os.path
import numpy as np
from . import sibling
from ..core import Engine as CoreEngine, run
from typing import Optional


def helper(x):
    def inner():
        return x
    return inner()


@register
@app.route("/x")
class Service(Base, mixins.Logged, metaclass=Meta):
    """A service."""

    def start(self, port: int, engine: Optional[CoreEngine] = None) -> mixins.Handle:
        self.stop()
        super().start(port)
        os.path.join("a", "b")
        np.array(port)
        return schedule(callback=self.stop, later=helper)

    def stop(self):
        pass


class Worker:
    def start(self):
        helper(1)
'''


def symbols():
    return extract("pkg/sub/service.py", SOURCE, "python")


def test_definitions_are_named_as_the_chunks_name_them() -> None:
    found = symbols()
    assert definitions(found) == {
        ("function", "helper", 8),
        ("function", "helper.inner", 9),  # nested: a definition, though never a chunk
        ("class", "Service", 16),
        ("method", "Service.start", 19),
        ("method", "Service.stop", 26),
        ("class", "Worker", 30),
        ("method", "Worker.start", 31),
    }
    chunks = parse_file("pkg/sub/service.py", SOURCE.lstrip("\n"), "python").chunks
    named = {c.symbol for c in chunks if c.symbol}
    assert named <= {d.qualified_name for d in found.definitions}
    start = next(d for d in found.definitions if d.qualified_name == "Service.start")
    assert (start.name, start.end_line) == ("start", 24)


def test_an_ambiguous_name_keeps_both_definitions() -> None:
    starts = [d for d in symbols().definitions if d.name == "start"]
    assert {d.qualified_name for d in starts} == {"Service.start", "Worker.start"}


def test_signatures_are_the_head_on_one_line() -> None:
    found = symbols()
    assert signature(found, "Service") == (
        "class Service(Base, mixins.Logged, metaclass=Meta)"
    )
    assert signature(found, "Service.start") == (
        "def start(self, port: int, engine: Optional[CoreEngine] = None) -> mixins.Handle"
    )
    long = "def f(" + ", ".join(f"argument_{i}" for i in range(60)) + "):\n    pass\n"
    assert len(signature(extract("f.py", long, "python"), "f")) == 200


def test_calls_decorators_self_and_super() -> None:
    found = references(symbols())
    assert {
        (CALL, "", "inner", 11, "helper"),
        (CALL, "", "register", 14, ""),  # decorators run where the class is defined
        (CALL, "app", "route", 15, ""),
        (CALL, "self", "stop", 20, "Service.start"),
        (CALL, "super()", "start", 21, "Service.start"),
        (CALL, "os.path", "join", 22, "Service.start"),
        (CALL, "np", "array", 23, "Service.start"),
        (CALL, "", "schedule", 24, "Service.start"),
        (CALL, "", "helper", 32, "Worker.start"),
    } <= found


def test_bases_annotations_and_values() -> None:
    found = references(symbols())
    assert {
        (INHERITANCE, "", "Base", 16, "Service"),
        (INHERITANCE, "mixins", "Logged", 16, "Service"),
        (TYPE_USE, "", "Optional", 19, "Service.start"),
        (TYPE_USE, "", "CoreEngine", 19, "Service.start"),
        (TYPE_USE, "mixins", "Handle", 19, "Service.start"),
        # A function or method passed as a value is a reference too (not a call).
        (OTHER, "self", "stop", 24, "Service.start"),
        (OTHER, "", "helper", 24, "Service.start"),
    } <= found
    # A definition's own name is not a reference to it.
    assert not [r for r in found if r[2] in ("Service", "Worker") and r[3] in (16, 30)]


def test_imports_bind_local_names_to_dotted_targets() -> None:
    found = symbols()
    assert imports(found) == {
        ("os.path", "os.path"),  # `import a.b` makes `a.b` usable as written
        ("np", "numpy"),
        ("sibling", "pkg.sub.sibling"),  # relative: from the file's package
        ("CoreEngine", "pkg.core.Engine"),
        ("run", "pkg.core.run"),
        ("Optional", "typing.Optional"),
    }
    assert {
        (IMPORT, "os", "path", 1, ""),
        (IMPORT, "", "numpy", 2, ""),
        (IMPORT, "pkg.core", "Engine", 4, ""),
        (IMPORT, "pkg.core", "run", 4, ""),
    } <= references(found)


def test_relative_imports_in_a_package_init() -> None:
    found = extract("pkg/__init__.py", "from .core import run\nfrom . import util\n", "python")
    assert imports(found) == {("run", "pkg.core.run"), ("util", "pkg.util")}


def test_columns_count_characters_not_bytes() -> None:
    found = extract("u.py", "x = 'é'; f()\n", "python")
    (call,) = [r for r in found.references if r.name == "f"]
    assert call.column == 9


def test_extraction_can_be_skipped_and_big_files_have_none() -> None:
    assert parse_file("a.py", "f()\n", "python", symbols=False).symbols.references == ()
    huge = "def f():\n    g()\n" * (TREE_MAX_BYTES // 16 + 1)
    assert parse_file("big.py", huge, "python").symbols.definitions == ()
    assert parse_file("notes.md", "# f()\n", "markdown").symbols.references == ()


def test_parsed_files_cross_process_boundaries() -> None:
    parsed = parse_to_file("pkg/sub/service.py", SOURCE, "python")
    assert parsed.symbols.definitions and parsed.chunks
    data = pickle.dumps(parsed)
    assert pickle.loads(data) == parsed
    # The records travel as plain tuples (a record pickled on its own costs a Python call
    # each way), with the file's path set by extraction, so storage need not copy them.
    assert b"SymbolReference" not in data and b"SymbolDefinition" not in data
    symbols = parsed.symbols
    assert {r.path for r in (*symbols.definitions, *symbols.references, *symbols.imports)} == {
        "pkg/sub/service.py"}


def test_local_variables_are_not_references() -> None:
    source = """
    def prompt(text):
        return text

    def ask(prompt, *rest, echo=True, **options):
        total = [prompt(x) for x in rest]
        for echo_ in rest:
            pass
        def inner():
            return prompt, echo
        def helper():
            pass
        return inner, helper, ask, total

    class Form:
        prompt = "?"

        def show(self):
            return prompt(self.prompt)
    """
    found = references(extract("form.py", source, "python"))
    bare = {(name, line) for _, qualifier, name, line, _ in found if not qualifier}
    # `prompt` the parameter shadows `prompt` the function in `ask`, in its closure too.
    assert ("prompt", 5) not in bare and ("prompt", 9) not in bare
    assert ("echo", 9) not in bare and ("total", 12) not in bare
    # A nested definition, the enclosing function and a class attribute do not shadow.
    assert {("inner", 12), ("helper", 12), ("ask", 12), ("prompt", 18)} <= bare


def test_overload_stubs_declare_and_the_implementation_defines() -> None:
    source = """
    import typing
    from typing import overload

    @overload
    def convert(value: Small) -> int: ...
    @typing.overload
    def convert(value: Big) -> str: ...
    def convert(value):
        return value
    """
    found = extract("convert.py", source, "python")
    assert definitions(found) == {("function", "convert", 8)}
    # Their names are not uses of the function, their annotations are still type uses.
    assert {r[3] for r in references(found) if r[2] == "convert"} == set()
    assert {("Small", 5), ("Big", 7)} <= {(r[2], r[3]) for r in references(found)}


def test_members_of_literals_are_builtin_and_not_recorded() -> None:
    source = "def f(parts):\n    return ''.join(parts) + sep.join(parts)\n"
    found = references(extract("j.py", source, "python"))
    assert {(r[1], r[2]) for r in found if r[2] == "join"} == {("sep", "join")}


def test_a_name_bound_and_defined_in_one_function_stays_a_reference() -> None:
    source = """
    class Box:
        @property
        def size(self):
            return 1

        @size.setter
        def size(self, value):
            pass

    def install(translations):
        if translations:
            pgettext = translations.pgettext
        else:
            def pgettext(c, s):
                return s
        return use(pgettext=pgettext)
    """
    found = references(extract("box.py", source, "python"))
    assert (OTHER, "", "size", 6, "Box") in found  # the property the decorator extends
    assert (OTHER, "", "pgettext", 16, "install") in found


def test_builtins_are_not_recorded_unless_the_file_binds_their_name() -> None:
    source = """
    from .compat import open

    def format(value) -> str:
        return str(len(value))

    def main(path) -> int:
        print(format(path))
        return open(path)
    """
    found = references(extract("pkg/main.py", source, "python"))
    bare = {name for _, qualifier, name, _, _ in found if not qualifier}
    assert {"format", "open"} <= bare  # defined or imported here: they may be the workspace's
    assert not {"str", "len", "int", "print"} & bare


def test_typed_names_say_which_class_an_object_is() -> None:
    """Annotations and constructor calls bind a name to a class: the variable in its
    function, `self.x` (and a name set in a class body) in its class. Anything else binds
    nothing: a container of the class, an attribute of another object, what a function
    returns (`len()`, `Table.grid()`, `make_live()`), `Any` and scalars (`refresh: float`)."""
    source = """
    import typing as t
    console = Console()

    def render(options: "ConsoleOptions", style: t.Optional[Style] = None, *,
               theme: Theme | None, items: list[Item]) -> None:
        text = Text("a")
        table = Table.grid()
        other.x = Foo()
        size = len(text)
        found = list()

    class Live:
        refresh: float = 4.0
        stack: Stack

        def __init__(self, console: Console) -> None:
            self.console = console
            self.live: Live = make_live()
            self.thread = RefreshThread(self)
    """
    assert typed(extract("rich/live.py", source, "python")) == {
        ("console@", "Console()"),
        ("options@render", "ConsoleOptions"),
        ("style@render", "Style"),
        ("theme@render", "Theme"),
        ("text@render", "Text()"),
        ("found@render", "list()"),
        ("self.stack@Live", "Stack"),
        ("console@Live.__init__", "Console"),
        ("self.live@Live", "Live"),
        ("self.thread@Live", "RefreshThread()"),
    }
