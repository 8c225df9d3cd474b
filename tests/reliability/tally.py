"""Counting what the reliability suite tried: trials, survivals, records lost.

Each test names its case and counts its trials::

    case = tally.case("faults", "full disk (sklearn)", "real: 256 KiB tmpfs")
    with case.trial():
        ...                     # the trial survived if the block ends without an exception
    case.lost(n)                # records that were complete before and are gone or corrupt

At the end of the session the counts go to ``test-artifacts/reliability.json``, from which
``python -m tests.reliability.report`` renders the table in ``docs/reliability.md``.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import platform
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-artifacts" / "reliability.json"
CATEGORIES = ("faults", "crashes", "concurrency", "bad input", "security")


@dataclass
class Case:
    """One row of the table."""

    category: str
    case: str
    how: str
    trials: int = 0
    survived: int = 0
    data_lost: int = 0
    notes: dict[str, int] = field(default_factory=dict)

    @contextlib.contextmanager
    def trial(self) -> Iterator[None]:
        """Count one trial; it survived if the block raised nothing."""
        self.trials += 1
        yield
        self.survived += 1

    @contextlib.contextmanager
    def later_check(self) -> Iterator[None]:
        """Checks of the last trial made after its block (e.g. once a server is back): if
        they fail, that trial did not survive after all."""
        try:
            yield
        except BaseException:
            self.survived -= 1
            raise

    def note(self, name: str, count: int) -> None:
        """Add ``count`` to a named observation shown with the row (e.g. kills mid-write)."""
        self.notes[name] = self.notes.get(name, 0) + count

    def lost(self, count: int) -> None:
        """Count records that were complete before the trial and are missing or corrupt now."""
        self.data_lost += count


class Tally:
    """The cases of one test session, keyed by (category, case)."""

    def __init__(self) -> None:
        self.cases: dict[tuple[str, str], Case] = {}

    def case(self, category: str, case: str, how: str) -> Case:
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}; use one of {CATEGORIES}")
        key = (category, case)
        if key not in self.cases:
            self.cases[key] = Case(category, case, how)
        return self.cases[key]

    def write(self, path: Path = RESULTS, runslow: bool = False) -> None:
        """Write the counts as JSON (rows in category order, then by case)."""
        rows = sorted(self.cases.values(),
                      key=lambda c: (CATEGORIES.index(c.category), c.case))
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "runslow": runslow,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "rows": [asdict(c) for c in rows],
        }
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
