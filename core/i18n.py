"""Messages in the reader's language: gettext catalogs, extracted and compiled with Babel.

Every message a person reads is written once, whole, in English, as a gettext *msgid*
marked with :func:`_` (or :func:`ngettext` for counts), with named placeholders for what
varies::

    _("at most {limit} characters", limit=limit)

The catalog ``bangfu/locale/zh/LC_MESSAGES/bangfu.po`` holds each message in Simplified
Chinese; ``bangfu.mo`` beside it is its compiled form, which the service reads.
``python3 dev.py messages`` extracts the msgids from the source, updates the catalog and
compiles it; ``tests/test_messages.py`` fails when a msgid has no translation, when the
compiled catalog is out of date, or when a message is glued together from translated
fragments (word order differs between the languages, so only whole messages translate).

The language is per request (``Accept-Language``, :func:`negotiate`) or per command
(``BANGFU_LANGUAGE``); Chinese when nothing says otherwise. Codes (``extensions.code``,
payload error codes) never change with the language.
"""

import contextlib
import contextvars
import gettext
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

#: The languages Bangfu speaks: Simplified Chinese (the default) and English (the msgids).
LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
DOMAIN = "bangfu"


_default = DEFAULT_LANGUAGE
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "bangfu_language", default=None
)


def _locale_dir() -> Path:
    # Installed, core/ is bangfu/core/: the catalogs are bangfu/locale. In a checkout,
    # core/ is beside bangfu/. Either way the catalogs are in the package named bangfu.
    import bangfu

    return Path(bangfu.__file__).resolve().parent / "locale"


def language() -> str:
    """The language of the messages being written now."""
    return _current.get() or _default


def set_default(language_: str) -> None:
    """The language when no request or command chose one (``Settings.language``)."""
    global _default
    _default = normalise(language_) or DEFAULT_LANGUAGE


@contextlib.contextmanager
def speaking(language_: str | None) -> Iterator[str]:
    """Write messages in ``language_`` (one of :data:`LANGUAGES`) inside the block."""
    token = _current.set(normalise(language_) if language_ else None)
    try:
        yield language()
    finally:
        _current.reset(token)


def _format(text: str, values: dict[str, object]) -> str:
    return text.format(**values) if values else text


def _(message: str, /, **values: object) -> str:
    """``message`` (a literal English msgid) in the current language, placeholders filled."""
    return _bangfu().gettext(message, **values)


def ngettext(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The singular or plural form for ``n`` in the current language, placeholders filled."""
    return _bangfu().ngettext(singular, plural, n, **values)


def N_(message: str, /) -> str:
    """Mark ``message`` for the catalog without translating it (a constant translated later
    with ``_(variable)``, e.g. a table of messages)."""
    return message


_TAG = re.compile(r"^([A-Za-z]{1,8})(?:[-_][A-Za-z0-9]{1,8})*$")


def normalise(tag: str | None) -> str | None:
    """One of :data:`LANGUAGES` for a language tag (``zh-CN``, ``zh-Hans``, ``en_GB``,
    ``EN``), or None for a tag Bangfu does not speak."""
    if not tag:
        return None
    match = _TAG.match(tag.strip())
    if match is None:
        return None
    primary = match.group(1).lower()
    return primary if primary in LANGUAGES else None


def negotiate(header: str | None, default: str | None = None) -> str:
    """The language to answer in for an ``Accept-Language`` header (RFC 9110 §12.5.4).

    The highest-weighted tag Bangfu speaks wins; ties keep the header's order; ``*``
    and a header with nothing Bangfu speaks give ``default`` (the setting). A malformed
    header is read as far as it makes sense, never refused: it only chooses a language.
    """
    fallback = normalise(default) or _default
    if not header:
        return fallback
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header[:1000].split(",")):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
                if not 0.0 <= weight <= 1.0:
                    weight = 0.0
        if weight <= 0.0:
            continue
        spoken = fallback if tag.strip() == "*" else normalise(tag)
        if spoken is None:
            continue
        if best is None or weight > best[0]:
            best = (weight, position, spoken)
    return best[2] if best else fallback


@cache
def _catalog(domain: str, localedir: str, language_: str) -> gettext.NullTranslations:
    if language_ == "en":
        return gettext.NullTranslations()
    # A catalog that is not there reads as English: a plugin without a translation works.
    return gettext.translation(domain, localedir=localedir, languages=[language_], fallback=True)


class Messages:
    """A plugin's own catalog, for a plugin shipped as a package of its own.

    Bangfu's built-in plugins share Bangfu's catalog; a plugin installed apart brings its
    messages in a gettext domain of its own, compiled under ``localedir``
    (``<localedir>/zh/LC_MESSAGES/<domain>.mo``). Its messages follow the same rules as
    Bangfu's (whole English msgids, named placeholders) and are read in the same
    language: the request's (``Accept-Language``) or the command's, else the setting.
    English, a message the catalog lacks, and a catalog that is missing read as the
    English msgid::

        messages = Messages("bangfu_welfare", Path(__file__).parent / "locale")
        _, ngettext, N_ = messages.gettext, messages.ngettext, messages.N_

        _("at most {limit} characters", limit=500)

    :param domain: the catalog's gettext domain, usually the plugin's package name.
    :param localedir: the folder holding ``zh/LC_MESSAGES/<domain>.mo``.
    """

    def __init__(self, domain: str, localedir: str | Path) -> None:
        self.domain = domain
        self.localedir = str(Path(localedir).resolve())

    def translations(self, language_: str | None = None) -> gettext.NullTranslations:
        """The catalog in ``language_`` (default: the current language)."""
        return _catalog(self.domain, self.localedir, language_ or language())

    def gettext(self, message: str, /, **values: object) -> str:
        """``message`` (a literal English msgid) in the current language, placeholders
        filled: what :func:`_` is for Bangfu's own catalog (bind it as ``_``)."""
        return _format(self.translations().gettext(message), values)

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The singular or plural form for ``n`` in the current language, placeholders
        filled (as :func:`ngettext`)."""
        return _format(self.translations().ngettext(singular, plural, n), values)

    @staticmethod
    def N_(message: str, /) -> str:
        """Mark ``message`` for the catalog without translating it (as :func:`N_`)."""
        return message


@cache
def _bangfu() -> Messages:
    """Bangfu's own catalog (core and the built-in plugins), a :class:`Messages` like a
    plugin's."""
    return Messages(DOMAIN, _locale_dir())
