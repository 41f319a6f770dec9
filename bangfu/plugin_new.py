"""``bangfu plugin new NAME``: write a new pip-installable plugin package.

The templates are package data in ``bangfu/plugin_template/`` (``*.tmpl`` files, with
``__package__`` and ``__name__`` in paths and ``${name}``, ``${Name}``, ``${package}``
and ``${dist}`` in text, filled in by :class:`string.Template`).
"""

import re
import string
from pathlib import Path

from bangfu.core.i18n import _

TEMPLATE_DIR = Path(__file__).parent / "plugin_template"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]{1,29}")


class PluginNameError(ValueError):
    """The plugin name cannot be used."""


def check_name(name: str) -> None:
    """Plugin names prefix tables, actions and GraphQL fields, so they are plain words."""
    if not NAME_PATTERN.fullmatch(name):
        raise PluginNameError(
            _(
                "plugin name {name}: use 2 to 30 lower-case letters and digits, starting "
                "with a letter (it prefixes tables, actions and GraphQL fields)",
                name=repr(name),
            )
        )
    if name in {"core", "registry", "care", "audit", "plugin", "plugins"}:
        raise PluginNameError(_("plugin name {name} is taken by Bangfu itself", name=repr(name)))


def new_plugin(name: str, directory: Path) -> Path:
    """Write the package ``bangfu-<name>`` into ``directory``; return its folder."""
    check_name(name)
    values = {
        "name": name,
        "Name": name.capitalize(),
        "package": f"bangfu_{name}",
        "dist": f"bangfu-{name}",
    }
    target = directory / values["dist"]
    if target.exists():
        raise FileExistsError(
            _("{target} already exists; choose another name or folder", target=target)
        )
    for source in sorted(TEMPLATE_DIR.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE_DIR).with_suffix("")
        path = target / str(relative).replace("__package__", values["package"]).replace(
            "__name__", name
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        text = string.Template(source.read_text(encoding="utf-8")).substitute(values)
        path.write_text(text, encoding="utf-8")
    return target
