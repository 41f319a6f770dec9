"""The plugin's messages in the users' language: its own gettext catalog.

Every message a person reads is written whole, in English, with ``_()`` (``ngettext()``
for counts, ``N_()`` to mark a message translated later), and translated in
``locale/zh/LC_MESSAGES/bangfu_befriending.po``; the compiled ``.mo`` beside it is what
is read. Bangfu chooses the language per request (``Accept-Language``; Chinese by default).
See the README for the commands that update and compile the catalog.
"""

from pathlib import Path

from bangfu.plugin import Messages

DOMAIN = "bangfu_befriending"
LOCALE = Path(__file__).resolve().parent / "locale"

messages = Messages(DOMAIN, LOCALE)
_ = messages.gettext
ngettext = messages.ngettext
N_ = messages.N_
