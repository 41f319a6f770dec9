"""The message catalogs' upkeep: extract, update and compile (``python3 dev.py messages``).

The msgids are extracted from the source (every ``_()``, ``ngettext()`` and ``N_()`` call,
see :mod:`bangfu.core.i18n`) with Babel; the Chinese catalog
``bangfu/locale/zh/LC_MESSAGES/bangfu.po`` is updated with them (new ones empty, gone
ones dropped) and compiled to ``bangfu.mo``. A translator then fills in the empty
``msgstr``; ``tests/test_messages.py`` fails until every one is filled.
"""

import datetime
import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
#: The source trees whose messages are Bangfu's own (tests and benchmark are not).
SOURCES = ("bangfu", "core", "schema", "plugins")
KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None}
#: The catalog's header dates are fixed, so that only a change of a message shows in a diff.
FIXED_DATE = datetime.datetime(2026, 12, 6, tzinfo=datetime.UTC)
CATALOG = ROOT / "bangfu" / "locale" / "zh" / "LC_MESSAGES" / "bangfu.po"
COMPILED = CATALOG.with_suffix(".mo")


def _skipped(dirname: str) -> bool:
    return dirname in {"tests", "__pycache__", "plugin_template", "locale"} or dirname.startswith(
        "."
    )


def extracted() -> Catalog:
    """Every msgid in the source, with where it is used."""
    catalog = Catalog(project="Bangfu", domain="bangfu", creation_date=FIXED_DATE)
    for source in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / source,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
            directory_filter=lambda path: not any(_skipped(p) for p in Path(path).parts),
            strip_comment_tags=True,
        ):
            catalog.add(
                message,
                None,
                [(f"{source}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def current() -> Catalog:
    """The Chinese catalog as committed."""
    with CATALOG.open("rb") as f:
        return read_po(f, locale="zh_Hans_CN", domain="bangfu")


def compiled_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def update() -> tuple[int, int]:
    """Update the catalog from the source and compile it; (msgids, untranslated)."""
    if CATALOG.exists():
        catalog = current()
    else:
        CATALOG.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(
            locale="zh_Hans_CN",
            domain="bangfu",
            project="Bangfu",
            copyright_holder="the Bangfu authors",
            creation_date=FIXED_DATE,
            revision_date=FIXED_DATE,
            fuzzy=False,
        )
        catalog.language_team = "Bangfu"
        catalog.last_translator = "Bangfu"
    catalog.update(extracted(), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.revision_date = FIXED_DATE
    with CATALOG.open("wb") as f:
        # No line numbers: a message's place changes with every edit around it, its file not.
        write_po(f, catalog, width=100, sort_output=True, include_lineno=False)
    COMPILED.write_bytes(compiled_bytes(current()))
    ids = [m for m in current() if m.id]
    return len(ids), sum(1 for m in ids if not m.string or not all(m.string))


def main() -> int:
    total, missing = update()
    print(f"{CATALOG.relative_to(ROOT)}: {total} messages, {missing} without a translation")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
