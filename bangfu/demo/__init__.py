"""Linfen demo data (``bangfu demo``, ``bangfu serve --demo``), kept out of the production
packages: the service imports it only when demo data is asked for.

* :mod:`bangfu.demo.households`: regions, households, persons and categories from a seed,
  then the care work and every plugin's ``bangfu_demo_data``;
* :mod:`bangfu.demo.care`, :mod:`bangfu.demo.screening`: the care work's demo rows;
* :mod:`bangfu.demo.users`: the demo logins, core's and the plugins' (``bangfu_demo_users``);
* :mod:`bangfu.demo.names`: the name lists; :mod:`bangfu.demo.rows`: the bulk inserts that
  core's and the built-in plugins' demo rows use.

Everything is fictitious: names, ID numbers, phone numbers, addresses, village names.
"""

from bangfu.demo.households import LEGACY_COUNTY_CODES, DemoSummary, demo_regions, load_demo
from bangfu.demo.users import (
    DEMO_PASSWORD,
    DEMO_USERS,
    DemoUser,
    all_demo_users,
    create_demo_users,
)

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "LEGACY_COUNTY_CODES",
    "DemoSummary",
    "DemoUser",
    "all_demo_users",
    "create_demo_users",
    "demo_regions",
    "load_demo",
]
