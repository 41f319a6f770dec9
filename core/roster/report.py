"""What an import found and did: problems, warnings and counts, as data and as JSON."""

import dataclasses
from collections import Counter
from typing import Any

from bangfu.core.i18n import N_, _, ngettext
from bangfu.core.roster.columns import Change
from bangfu.core.roster.headers import HeaderMap, _letters
from bangfu.core.roster.rows import Problem

#: How many problems the JSON answer lists (the annotated workbook shows them all).
MAX_LISTED_PROBLEMS = 1000
#: What the counts count, for a person (a plugin's counts keep the plugin's name).
COUNTED = {
    "rows": N_("rows"),
    "persons": N_("persons"),
    "households": N_("households"),
    "memberships": N_("household members"),
    "categories": N_("hardship categories"),
}


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

    def column_name(self, key: str | None) -> str | None:
        """The header of column ``key`` in the language being written (身份证号 / id_number)."""
        if key is None:
            return None
        if self.headers is not None:
            for column in self.headers.by_index.values():
                if column.key == key:
                    return column.name
        return key

    def cell(self, problem: Problem) -> str | None:
        """The problem's cell (``B5``), when its column is in the file."""
        if problem.column is None or not problem.row or self.headers is None:
            return None
        index = self.headers.index_of(problem.column)
        return None if index is None else f"{_letters(index + 1)}{problem.row}"

    def describe(self, problem: Problem) -> str:
        """The problem as one sentence naming its row and column: what to correct where."""
        reason = problem.reason
        if not problem.row:
            return _("The file: {reason}", reason=reason)
        if problem.row == self.header_row and problem.column is None:
            return _("Header row {row}: {reason}", row=problem.row, reason=reason)
        if problem.column is None:
            return _("Row {row}: {reason}", row=problem.row, reason=reason)
        column = self.column_name(problem.column)
        cell = self.cell(problem)
        if cell is None:
            return _(
                'Row {row}, column "{column}": {reason}',
                row=problem.row,
                column=column,
                reason=reason,
            )
        return _(
            'Row {row}, column "{column}" (cell {cell}): {reason}',
            row=problem.row,
            column=column,
            cell=cell,
            reason=reason,
        )

    def _problem(self, problem: Problem) -> dict[str, Any]:
        return {
            **problem.as_dict(),
            "columnName": self.column_name(problem.column),
            "cell": self.cell(problem),
            "message": self.describe(problem),
        }

    def counted(self, what: str) -> str:
        """What a count is about, in the language being written."""
        label = COUNTED.get(what)
        return _(label) if label is not None else what

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer: every bad row with column and reason (the first 1,000).

        Each problem has ``row`` and ``column`` (the column's key), ``columnName`` (its
        header in the request's language), ``cell`` (``B5``) when the column is in the file,
        ``reason`` (what is wrong and how to fix it) and ``message`` (all of it in a
        sentence). Codes and keys never change with the language; the texts do.
        """
        return {
            "file": self.file_name,
            "dryRun": self.dry_run,
            "ok": self.ok,
            "committed": self.committed,
            "rows": self.rows,
            "badRows": self.bad_rows,
            "problems": [self._problem(p) for p in self.problems[:MAX_LISTED_PROBLEMS]],
            "problemsListed": min(len(self.problems), MAX_LISTED_PROBLEMS),
            "problemsTotal": len(self.problems),
            "warnings": [self._problem(p) for p in self.warnings[:MAX_LISTED_PROBLEMS]],
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
        counts = []
        for what, counter in self.counts.items():
            created, updated, unchanged = (counter.get(c, 0) for c in Change)
            counts.append(
                _(
                    "{what}: created {created}, updated {updated}, unchanged {unchanged}",
                    what=self.counted(what),
                    created=created,
                    updated=updated,
                    unchanged=unchanged,
                )
            )
        return "\n".join([self._verdict(), *(f"  {line}" for line in counts)])

    def _verdict(self) -> str:
        # One whole sentence per case.
        if self.failure:
            return self.failure
        if self.problems:
            problems, bad = len(self.problems), self.bad_rows
            if bad == 0:
                return _("The file was refused; nothing was written.")
            if bad == 1 and problems == 1:
                return _(
                    "1 problem was found, in row {row}; nothing was written.",
                    row=self.problems[0].row,
                )
            if bad == 1:
                return _(
                    "{problems} problems were found in one row; nothing was written.",
                    problems=problems,
                )
            return ngettext(
                "{problems} problems were found in {bad} of the {rows} row; nothing was written.",
                "{problems} problems were found in {bad} of the {rows} rows; nothing was written.",
                self.rows,
                problems=problems,
                bad=bad,
                rows=self.rows,
            )
        if self.dry_run:
            return ngettext(
                "The {rows} row is valid; this was a dry run: nothing was written.",
                "All {rows} rows are valid; this was a dry run: nothing was written.",
                self.rows,
                rows=self.rows,
            )
        return ngettext(
            "The {rows} row is valid and was written.",
            "All {rows} rows are valid and were written.",
            self.rows,
            rows=self.rows,
        )
