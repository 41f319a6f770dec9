"""Bangfu's GraphiQL page (bangfu/graphiql): served by Bangfu with every asset it loads,
nothing from another origin, only where GraphiQL is on. The page in a real browser is
tests/test_graphiql_browser.py. These checks do not depend on the database (SQLite only)."""

import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bangfu import graphiql
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

STATIC = graphiql.FOLDER / "static"
HTML = {"Accept": "text/html"}
VENDORED = {  # file: (package, version, licence file)
    "graphiql.min.js": ("graphiql", "3.8.3", "LICENSE-graphiql.txt"),
    "graphiql.min.css": ("graphiql", "3.8.3", "LICENSE-graphiql.txt"),
    "react.production.min.js": ("react", "18.3.1", "LICENSE-react.txt"),
    "react-dom.production.min.js": ("react-dom", "18.3.1", "LICENSE-react-dom.txt"),
}


async def _harness(tmp_path: Path, name: str, **settings: Any) -> AsyncIterator[Harness]:
    (tmp_path / name).mkdir()
    async with Harness.start(tmp_path / name, settings=settings) as h:
        yield h


@pytest.fixture
async def dev(tmp_path: Path) -> AsyncIterator[Harness]:
    async for h in _harness(tmp_path, "dev"):
        yield h


@pytest.fixture
async def prod(tmp_path: Path) -> AsyncIterator[Harness]:
    async for h in _harness(tmp_path, "prod", profile="production"):
        yield h


def _references(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]*)"', page)


async def test_the_page_is_bangfus_and_loads_only_from_bangfu(dev: Harness) -> None:
    page = await dev.client.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>帮扶 Bangfu · GraphQL 调试台</title>" in page.text
    assert '<html lang="zh-CN">' in page.text
    assert '<label>用户名 <input id="bangfu-username"' in page.text
    assert '<label>密码 <input id="bangfu-password" name="password" type="password"' in page.text
    assert '<button id="bangfu-login-button" type="submit">登录</button>' in page.text
    assert '<button id="bangfu-logout-button" type="button">退出登录</button>' in page.text
    # A submitted form would send a POST to nowhere, never a GET with the password.
    assert '<form id="bangfu-login" class="bangfu-login" method="post"' in page.text

    policy = page.headers["content-security-policy"]
    assert policy == (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"

    references = [r for r in _references(page.text) if not r.startswith("data:")]
    assert references == [
        "graphiql/graphiql.min.css",
        "graphiql/bangfu-graphiql.css",
        "graphiql/react.production.min.js",
        "graphiql/react-dom.production.min.js",
        "graphiql/graphiql.min.js",
        "graphiql/bangfu-graphiql.js",
    ]
    for reference in references:  # relative to /graphql: served under /graphiql/
        asset = await dev.client.get(f"/{reference}")
        assert asset.status_code == 200, reference
        assert asset.content == (STATIC / reference.removeprefix("graphiql/")).read_bytes()
        kind = "text/css" if reference.endswith(".css") else "text/javascript"
        assert asset.headers["content-type"].startswith(kind), reference


def test_bangfus_own_files_name_no_other_origin() -> None:
    for path in (graphiql.FOLDER / "index.html", *STATIC.glob("bangfu-graphiql.*")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), path.name
    script = (STATIC / "bangfu-graphiql.js").read_text(encoding="utf-8")
    # The password goes into the login mutation's variables, in a POST body, only.
    assert "localStorage" not in script
    assert "variables: { username: username, password: password }" in script
    assert script.count('fetch(ENDPOINT, {\n      method: "POST",') == 2
    assert "history.replaceState" not in script and "pushState" not in script


def test_the_guide_shows_the_readmes_query() -> None:
    script = (STATIC / "bangfu-graphiql.js").read_text(encoding="utf-8")
    guide = re.search(r"var GUIDE = \[(.*?)\]\.join", script, re.S)
    assert guide is not None
    lines = re.findall(r'^    "(.*)",$', guide.group(1), re.M)
    query = "\n".join(line for line in lines if not line.startswith("#")).strip()
    readme = (graphiql.FOLDER.parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"```graphql\n{query}\n```" in readme
    comments = "\n".join(line for line in lines if line.startswith("#"))
    assert "1. 登录：在页面上方填写用户名和密码，点“登录”。" in comments
    assert "docs/api.md" in comments


def test_the_vendored_files_are_the_npm_packages_named_in_the_readme() -> None:
    readme = (STATIC / "README.md").read_text(encoding="utf-8")
    for name, (package, version, licence) in VENDORED.items():
        digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()
        assert f"| `{name}` | `{digest}` |" in readme, name
        assert f"| `{name}` | {package} {version} |" in readme, name
        assert f"MIT, `{licence}`" in readme
        assert (STATIC / licence).read_text(encoding="utf-8").startswith("MIT License")


async def test_no_page_and_no_assets_where_graphiql_is_off(prod: Harness, tmp_path: Path) -> None:
    page = await prod.client.get("/graphql", headers=HTML)
    assert page.status_code == 405 and page.headers["allow"] == "POST"
    assert (await prod.client.get("/graphiql/graphiql.min.js")).status_code == 404
    async for off in _harness(tmp_path, "off", graphiql=False):
        assert (await off.client.get("/graphql", headers=HTML)).status_code == 405
        assert (await off.client.get("/graphiql/bangfu-graphiql.js")).status_code == 404
    async for on in _harness(tmp_path, "on", profile="production", graphiql=True):
        page = await on.client.get("/graphql", headers=HTML)
        assert page.status_code == 200 and "帮扶 Bangfu" in page.text
        assert (await on.client.get("/graphiql/bangfu-graphiql.js")).status_code == 200
