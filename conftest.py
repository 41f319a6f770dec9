"""Fixtures shared by ``tests/`` and each plugin's ``tests/`` folder.

The main suite sees core and the built-in plugins only, whatever else is installed in the
environment (``python3 dev.py run`` installs ``examples/bangfu-befriending`` beside Bangfu):
``BANGFU_PLUGINS`` names the built-ins, for this process, its pytest-xdist workers and every
``bangfu`` command a test starts. A test that wants another set passes ``plugins=`` to
``Harness.start`` or sets the variable itself (``monkeypatch.setenv``).
"""

import os

from bangfu.core.plugins import builtin_plugin_names

os.environ["BANGFU_PLUGINS"] = ",".join(builtin_plugin_names())

pytest_plugins = ["bangfu.pytest_plugin"]
