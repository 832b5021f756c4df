"""Honest chunks (issue 12): a type is a header chunk plus one chunk per method.

A class's header chunk is the class's own lines (declaration, docstring, fields, the
signatures of an interface); every member with a body is a chunk of its own, nested types
likewise; only a type of at most TINY_TYPE_LINES lines stays one chunk. Chunks still tile the
file, so file context, which shows text by line range and widens a type's symbol over its
members, still shows a class whole. Spans are 1-based and inclusive, as in test_parse.py.
"""

from __future__ import annotations

import pytest

from services.ingestor.chunking import build_chunks
from services.ingestor.parse import parse_source
from services.ingestor.parse_code import TINY_TYPE_LINES
from services.knowledge.file_context import lines_of, symbols_of
from tests.unit.test_parse import file_lines, split

PY = '''\
import dataclasses


@dataclasses.dataclass
class Account:
    """A bank account.

    Holds a balance in cents.
    """

    owner: str
    balance: int = 0
    LIMIT = 10_000

    def deposit(self, cents: int) -> None:
        """Add money."""
        if cents <= 0:
            raise ValueError("positive amounts only")
        self.balance += cents

    history: list = dataclasses.field(default_factory=list)

    def withdraw(self, cents: int) -> None:
        if cents > self.balance:
            raise ValueError("not enough money")
        self.balance -= cents
        self.history.append(-cents)

    class Audit:
        """Checks an account."""

        strict = True

        def check(self, account) -> bool:
            total = sum(account.history)
            return total <= account.balance


def open_account(owner: str) -> Account:
    return Account(owner)
'''

JS = """\
import { log } from "./log.js";

/** A bank account. */
export class Account {
  static LIMIT = 10000;
  balance = 0;
  #history = [];

  constructor(owner) {
    this.owner = owner;
    log("opened", owner);
  }

  deposit(cents) {
    if (cents <= 0) throw new Error("positive amounts only");
    this.balance += cents;
    this.#history.push(cents);
  }

  get total() {
    return this.#history.reduce((a, b) => a + b, 0);
  }
}
"""

TS = """\
export interface Ledger {
  /** Adds an entry. */
  add(cents: number): void;
  total(): number;
  readonly owner: string;
}

export class Account implements Ledger {
  static readonly LIMIT = 10_000;
  private history: number[] = [];

  constructor(public readonly owner: string) {
    this.history = [];
  }

  add(cents: number): void {
    if (cents <= 0) throw new Error("positive amounts only");
    this.history.push(cents);
  }

  total(): number {
    return this.history.reduce((a, b) => a + b, 0);
  }
}
"""

JAVA = """\
package bank;

/** A bank account. */
public class Account {
    public static final long LIMIT = 10_000;
    private final String owner;
    private long balance;

    public Account(String owner) {
        this.owner = owner;
        this.balance = 0;
    }

    public void deposit(long cents) {
        if (cents <= 0) {
            throw new IllegalArgumentException("positive amounts only");
        }
        balance += cents;
    }

    /** Something that keeps entries. */
    interface Ledger {
        void add(long cents);
        long total();
        default boolean empty() {
            return total() == 0;
        }
    }
}
"""

GO = """\
package bank

// Account is a bank account.
type Account struct {
    Owner   string
    Balance int64
    history []int64
}

// Deposit adds money.
func (a *Account) Deposit(cents int64) error {
    if cents <= 0 {
        return errors.New("positive amounts only")
    }
    a.Balance += cents
    return nil
}

// Ledger keeps entries.
type Ledger interface {
    Add(cents int64)
    Total() int64
}
"""

RUST = """\
/// A bank account.
pub struct Account {
    owner: String,
    balance: i64,
}

impl Account {
    pub const LIMIT: i64 = 10_000;

    pub fn new(owner: &str) -> Self {
        Account { owner: owner.to_string(), balance: 0 }
    }

    pub fn deposit(&mut self, cents: i64) {
        assert!(cents > 0, "positive amounts only");
        self.balance += cents;
    }
}

pub trait Ledger {
    fn add(&mut self, cents: i64);
    fn total(&self) -> i64;

    fn empty(&self) -> bool {
        self.total() == 0
    }
}
"""

CASES = {
    "python": (PY, [
        ("", "module", 1, 3),
        ("Account", "class", 4, 14),  # decorator, class line, docstring, fields
        ("Account.deposit", "method", 15, 20),
        ("Account", "class", 21, 22),  # a field between two methods
        ("Account.withdraw", "method", 23, 28),
        ("Account.Audit", "class", 29, 33),  # a nested class has its own header
        ("Account.Audit.check", "method", 34, 38),
        ("open_account", "function", 39, 40),
    ]),
    "javascript": (JS, [
        ("", "module", 1, 2),
        ("Account", "class", 3, 8),  # with its doc comment and fields
        ("Account.constructor", "method", 9, 13),
        ("Account.deposit", "method", 14, 19),
        ("Account.total", "method", 20, 23),  # a getter, and the class's closing brace
    ]),
    "typescript": (TS, [
        ("Ledger", "interface", 1, 7),  # signatures only: the interface stays whole
        ("Account", "class", 8, 11),
        ("Account.constructor", "method", 12, 15),
        ("Account.add", "method", 16, 20),
        ("Account.total", "method", 21, 24),
    ]),
    "java": (JAVA, [
        ("", "module", 1, 2),
        ("Account", "class", 3, 8),
        ("Account.Account", "method", 9, 13),
        ("Account.deposit", "method", 14, 20),
        ("Account.Ledger", "interface", 21, 24),  # its signatures are its header
        ("Account.Ledger.empty", "method", 25, 29),  # a default method has a body
    ]),
    "go": (GO, [  # methods are declared outside their struct in Go
        ("", "module", 1, 2),
        ("Account", "struct", 3, 9),
        ("Account.Deposit", "method", 10, 18),
        ("Ledger", "interface", 19, 23),
    ]),
    "rust": (RUST, [
        ("Account", "struct", 1, 6),
        ("Account", "class", 7, 9),  # `impl Account {` and its associated constant
        ("Account.new", "method", 10, 13),
        ("Account.deposit", "method", 14, 19),
        ("Ledger", "interface", 20, 23),  # trait signatures stay in the trait's header
        ("Ledger.empty", "method", 24, 27),  # a provided method has a body
    ]),
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(CASES))
def test_a_type_is_a_header_chunk_and_one_chunk_per_method(language: str) -> None:
    source, expected = CASES[language]
    assert split(source, language) == expected  # default limits: every type fits in one


def test_the_header_chunk_is_the_class_line_docstring_and_fields_verbatim() -> None:
    chunks = parse_source("bank.py", PY, "python")
    header = chunks[1]
    assert header.text == "".join(file_lines(PY)[3:14])  # the file's own lines 4-14
    assert header.text.startswith("@dataclasses.dataclass\nclass Account:\n")
    for part in ('"""A bank account.', "Holds a balance in cents.", "owner: str", "LIMIT"):
        assert part in header.text
    assert "def " not in header.text
    for chunk in chunks:  # no chunk holds more than one definition
        rows = chunk.text.split("\n")
        assert sum(r.lstrip().startswith(("def ", "class ")) for r in rows) <= 1, chunk


def test_a_tiny_type_stays_one_chunk_with_its_methods() -> None:
    def point(extra_lines: int) -> str:
        return (
            "class Point:\n    def norm(self):\n        return 0\n"
            + "    x = 0\n" * extra_lines
            + "\n\ndef after():\n    pass\n"
        )

    tiny = point(TINY_TYPE_LINES - 3)  # a class of exactly TINY_TYPE_LINES lines
    assert split(tiny, "python") == [
        ("Point", "class", 1, TINY_TYPE_LINES + 2),
        ("after", "function", TINY_TYPE_LINES + 3, TINY_TYPE_LINES + 4),
    ]
    assert split(point(TINY_TYPE_LINES - 2), "python")[:3] == [
        ("Point", "class", 1, 1),
        ("Point.norm", "method", 2, 3),
        ("Point", "class", 4, TINY_TYPE_LINES + 3),  # the fields after the method
    ]


ABSTRACT = """\
export abstract class Shape {
  abstract area(): number;
  abstract readonly name: string;

  describe(): string {
    return `${this.name}: ${this.area()}`;
  }
}
"""


def test_signatures_stay_with_their_type_until_it_is_over_the_limits() -> None:
    assert split(ABSTRACT, "typescript") == [
        ("Shape", "class", 1, 4),  # the abstract method's signature is header text
        ("Shape.describe", "method", 5, 8),
    ]
    signatures = "".join(f"  /** Entry {i}. */\n  entry{i}(): number;\n" for i in range(30))
    ledger = f"export interface Ledger {{\n{signatures}}}\n"
    assert split(ledger, "typescript") == [("Ledger", "interface", 1, 62)]
    opened = split(ledger, "typescript", max_chunk_lines=20)  # too big: opened at every member
    assert opened[0] == ("Ledger", "interface", 1, 1)
    assert opened[1:] == [
        (f"Ledger.entry{i}", "method", 2 + 2 * i, 3 + 2 * i + (i == 29)) for i in range(30)
    ]


def test_file_context_still_shows_a_class_whole_and_each_member_by_its_span() -> None:
    chunks = build_chunks("bank.py", "python", parse_source("bank.py", PY, "python"))
    assert "".join(lines_of(chunks)) == PY  # the chunks join back into the file
    symbols = {s.name: (s.kind, s.start_line, s.end_line) for s in symbols_of(chunks)}
    assert symbols == {
        "Account": ("class", 4, 38),  # whole: header, fields, methods, nested class
        "Account.deposit": ("method", 15, 20),
        "Account.withdraw": ("method", 23, 28),
        "Account.Audit": ("class", 29, 38),
        "Account.Audit.check": ("method", 34, 38),
        "open_account": ("function", 39, 40),
    }
