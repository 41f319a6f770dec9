"""What an import found and did: problems, warnings and counts, as data and as JSON."""

import dataclasses
from collections import Counter
from typing import Any

from core.roster.columns import Change
from core.roster.headers import HeaderMap
from core.roster.rows import Problem

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

    @property
    def ok(self) -> bool:
        return not self.problems and self.failure is None

    def count(self, what: str, change: Change, by: int = 1) -> None:
        self.counts.setdefault(what, Counter())[change] += by

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
            "badRows": len({p.row for p in self.problems}),
            "problems": [p.as_dict() for p in self.problems[:MAX_LISTED_PROBLEMS]],
            "problemsListed": min(len(self.problems), MAX_LISTED_PROBLEMS),
            "problemsTotal": len(self.problems),
            "warnings": [p.as_dict() for p in self.warnings[:MAX_LISTED_PROBLEMS]],
            "ignoredColumns": self.ignored_columns,
            "failure": self.failure,
            "counts": {
                what: {change.value: counter.get(change, 0) for change in Change}
                for what, counter in self.counts.items()
            },
        }

    def summary(self) -> str:
        """One paragraph for the command line."""
        lines = []
        verb = "would be" if self.dry_run else "were"
        if self.failure:
            lines.append(self.failure)
        elif self.problems:
            bad = len({p.row for p in self.problems})
            lines.append(
                f"{len(self.problems)} problems in {bad} rows of {self.rows}: nothing was written"
            )
        else:
            lines.append(
                f"{self.rows} rows valid; "
                + ("dry run: nothing was written" if self.dry_run else "all written")
            )
        for what, counter in self.counts.items():
            lines.append(
                f"  {what}: "
                + ", ".join(f"{counter.get(c, 0)} {verb} {c.value.lower()}" for c in Change)
            )
        return "\n".join(lines)
