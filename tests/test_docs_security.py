"""docs/security.md lists every action with the roles the code grants it."""

import re
from pathlib import Path

from bangfu.core.plugins import PluginHost, get_plugin_manager

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "security.md"


def test_every_action_is_in_the_security_guide_with_its_roles() -> None:
    host = PluginHost(get_plugin_manager())
    rows = {
        m.group(1): set(re.findall(r"`([A-Z_]+)`", m.group(2)))
        for m in re.finditer(
            r"^\| `([a-z-]+:[a-z-]+)` \| [^|]+ \| ([^|]+) \|$", GUIDE.read_text(), re.M
        )
    }
    assert set(rows) == set(host.actions)
    for name, action in host.actions.items():
        assert rows[name] == {r.value for r in action.roles}, name
