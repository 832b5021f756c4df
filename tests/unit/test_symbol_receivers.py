"""Resolution through the receiver's class, on small Python files extracted for real
(services/knowledge/symbols/receivers.py): typed names, `self` / `super()` through the class
bases, a class body's bare names, names bound to objects, builtin-named members."""

from __future__ import annotations

import textwrap

from services.knowledge.symbols.receivers import bases_written, scopes
from services.knowledge.symbols.resolve import AMBIGUOUS, RESOLVED, UNRESOLVED
from tests.support.symbols import extract
from tests.unit.test_symbol_resolution import at, resolved

TEXT = """
class Text:
    def append(self, text):
        pass

    def truncate(self, width):
        pass
"""
LINES = """
class Lines:
    def append(self, line):
        pass
"""
OPTIONS = """
class Options:
    def update(self, width):
        return self
"""


async def resolve_in(sources: dict[str, str],
                     wanted: list[tuple[str, int, str]]) -> list[tuple[str, list[str]]]:
    """The outcomes for the references named (path, line, name), extracted from `sources`."""
    files = {p: (textwrap.dedent(t).lstrip("\n"), extract(p, t, "python"))
             for p, t in sources.items()}
    refs = [at(path, r) for path, line, name in wanted
            for r in files[path][1].references if (r.line, r.name) == (line, name)]
    assert len(refs) == len(wanted), refs
    return await resolved(files, refs)


async def test_a_typed_object_means_its_class_member_and_a_library_object_none():
    rule = """
    import io
    from .text import Text
    from . import text as text_module


    def render(options: "Options", width):
        title = Text("x")
        title.append("a")
        other = text_module.Text()
        other.append("b")
        options.update(width)
        stream = io.StringIO()
        stream.truncate(0)
    """
    found = await resolve_in(
        {"pkg/text.py": TEXT, "pkg/lines.py": LINES, "pkg/options.py": OPTIONS,
         "pkg/rule.py": rule},
        [("pkg/rule.py", 8, "append"), ("pkg/rule.py", 10, "append"),
         ("pkg/rule.py", 11, "update"), ("pkg/rule.py", 13, "truncate")])
    assert found == [(RESOLVED, ["pkg/text.py:Text.append"]),  # not Lines.append
                     (RESOLVED, ["pkg/text.py:Text.append"]),  # through a module alias
                     (RESOLVED, ["pkg/options.py:Options.update"]),  # a string annotation
                     (UNRESOLVED, [])]  # io.StringIO's truncate, never Text.truncate


async def test_self_attributes_self_and_super_follow_the_class_and_its_bases():
    base = """
    class Base:
        def load(self):
            pass

        def reset(self):
            pass
    """
    other = """
    class Other:
        def load(self):
            pass

        def reset(self):
            pass
    """
    impl = """
    from .base import Base
    from .text import Text


    class Impl(Base):
        def __init__(self):
            self.title = Text()

        def load(self):
            super().load()
            self.reset()
            self.title.append("x")
    """
    found = await resolve_in(
        {"pkg/base.py": base, "pkg/other.py": other, "pkg/text.py": TEXT,
         "pkg/lines.py": LINES, "pkg/impl.py": impl},
        [("pkg/impl.py", 10, "load"), ("pkg/impl.py", 11, "reset"),
         ("pkg/impl.py", 12, "append")])
    assert found == [(RESOLVED, ["pkg/base.py:Base.load"]),
                     (RESOLVED, ["pkg/base.py:Base.reset"]),
                     (RESOLVED, ["pkg/text.py:Text.append"])]


async def test_a_member_no_known_class_defines_stays_a_guess():
    """`job.flush_all()` where neither Job nor its bases define it (a subclass may):
    ambiguous among the members of that name, never resolved to the lone one."""
    job = """
    class Job:
        def run(self, job: "Job"):
            job.flush_all()
    """
    sink = """
    class Sink:
        def flush_all(self):
            pass
    """
    assert await resolve_in({"job.py": job, "sink.py": sink}, [("job.py", 3, "flush_all")]) \
        == [(AMBIGUOUS, ["sink.py:Sink.flush_all"])]


async def test_a_bare_name_in_a_class_body_means_the_class_method():
    cycler = """
    class Cycler:
        def next(self):
            pass

        __next__ = next
    """
    assert await resolve_in({"cycler.py": cycler}, [("cycler.py", 5, "next")]) == [
        (RESOLVED, ["cycler.py:Cycler.next"])]


async def test_a_name_the_file_binds_to_an_object_is_no_definition_elsewhere():
    demo = """
    foo = Foo()
    print(foo)
    """
    functions = """
    def foo():
        pass
    """
    assert await resolve_in({"demo.py": demo, "functions.py": functions},
                            [("demo.py", 2, "foo")]) == [(UNRESOLVED, [])]


async def test_an_unknown_objects_member_that_builtin_types_have_is_ambiguous():
    """`match.span()` on a regular expression match (unknown here): the workspace's only
    `span` is a candidate, not the answer; a name no builtin type has still resolves."""
    measure = """
    class Measurement:
        def span(self):
            pass

        def normalize(self):
            pass
    """
    wrap = """
    def words(match, measure):
        match.span()
        measure.normalize()
    """
    assert await resolve_in({"measure.py": measure, "wrap.py": wrap},
                            [("wrap.py", 2, "span"), ("wrap.py", 3, "normalize")]) == [
        (AMBIGUOUS, ["measure.py:Measurement.span"]),
        (RESOLVED, ["measure.py:Measurement.normalize"])]


def test_bases_are_read_from_a_class_signature():
    assert bases_written("class C(A, m.B[T], Generic[T], metaclass=M, **kw)") == [
        "A", "m.B", "Generic"]
    assert bases_written("class C") == [] and bases_written("class C()") == []
    assert scopes("A.b") == ["A.b", "A", ""]


async def test_a_name_defined_twice_in_one_file_is_one_symbol_not_an_ambiguity():
    compat = """
    import sys

    if sys.platform == "win32":
        def isatty(stream):
            return False
    else:
        def isatty(stream):
            return True
    """
    termui = """
    from ._compat import isatty


    def prompt():
        return isatty(None)
    """
    other = """
    def isatty(fd):
        return True
    """
    found = await resolve_in({"pkg/_compat.py": compat, "pkg/termui.py": termui,
                              "pkg/other.py": other},
                             [("pkg/termui.py", 1, "isatty"), ("pkg/termui.py", 5, "isatty")])
    assert found == [(RESOLVED, ["pkg/_compat.py:isatty"])] * 2
