"""What an import found and did: problems, warnings and counts, as data and as JSON."""

import dataclasses
from collections import Counter
from typing import Any

from bangfu.core.roster.columns import Change
from bangfu.core.roster.headers import HeaderMap
from bangfu.core.roster.rows import Problem

#: How many problems the JSON answer lists (the annotated workbook shows them all).
MAX_LISTED_PROBLEMS = 1000


@dataclasses.dataclass
class Report:
    """The answer of an import or a dry run; the same for both."""

    file_name: str
    dry_run: bool
    rows: int = 0
    problems: list[Problem] = dataclasses.field(default_factory=list)
    warnings: list[Problem] = dataclasses.field(default_factory=list)
    ignored_columns: list[str] = dataclasses.field(default_factory=list)
    # "rows", "persons", "households", "memberships", "categories", then each plugin:
    # how many were CREATED, UPDATED, UNCHANGED.
    counts: dict[str, Counter[Change]] = dataclasses.field(default_factory=dict)
    committed: bool = False
    failure: str | None = None
    headers: HeaderMap | None = None
    #: The spreadsheet row holding the headers (title rows may come above it).
    header_row: int | None = None
    #: The same file may succeed when sent again (another import ran, or another writer).
    retry: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and self.failure is None

    def count(self, what: str, change: Change, by: int = 1) -> None:
        self.counts.setdefault(what, Counter())[change] += by

    @property
    def bad_rows(self) -> int:
        """How many rows have a problem (a problem of the whole file is in no row)."""
        return len({p.row for p in self.problems if p.row and p.row != self.header_row})

    def sort(self) -> None:
        self.problems.sort(key=lambda p: (p.row, p.column or ""))
        self.warnings.sort(key=lambda p: (p.row, p.column or ""))

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer: every bad row with column and reason (the first 1,000)."""
        return {
            "file": self.file_name,
            "dryRun": self.dry_run,
            "ok": self.ok,
            "committed": self.committed,
            "rows": self.rows,
            "badRows": self.bad_rows,
            "problems": [p.as_dict() for p in self.problems[:MAX_LISTED_PROBLEMS]],
            "problemsListed": min(len(self.problems), MAX_LISTED_PROBLEMS),
            "problemsTotal": len(self.problems),
            "warnings": [p.as_dict() for p in self.warnings[:MAX_LISTED_PROBLEMS]],
            "ignoredColumns": self.ignored_columns,
            "failure": self.failure,
            "retryable": self.retry,
            "counts": {
                what: {change.value: counter.get(change, 0) for change in Change}
                for what, counter in self.counts.items()
            },
        }

    def summary(self) -> str:
        """A few lines for the command line: whole sentences, counts as a table."""
        lines = [self._verdict()]
        for what, counter in self.counts.items():
            created, updated, unchanged = (counter.get(c, 0) for c in Change)
            lines.append(f"  {what}: created {created}, updated {updated}, unchanged {unchanged}")
        return "\n".join(lines)

    def _verdict(self) -> str:
        # One whole sentence per case (they will be translated as they stand).
        if self.failure:
            return self.failure
        if self.problems:
            problems, bad = len(self.problems), self.bad_rows
            if bad == 0:
                return "The file was refused; nothing was written."
            if bad == 1 and problems == 1:
                return f"1 problem was found, in row {self.problems[0].row}; nothing was written."
            if bad == 1:
                return f"{problems} problems were found in one row; nothing was written."
            return (
                f"{problems} problems were found in {bad} of the {self.rows} rows; "
                "nothing was written."
            )
        if self.dry_run:
            if self.rows == 1:
                return "The 1 row is valid; this was a dry run: nothing was written."
            return f"All {self.rows} rows are valid; this was a dry run: nothing was written."
        if self.rows == 1:
            return "The 1 row is valid and was written."
        return f"All {self.rows} rows are valid and were written."
