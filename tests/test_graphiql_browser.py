"""GraphiQL in a real browser, with the network cut off (issue 19).

Debian's headless ``chromium`` (``.ci/run`` installs it; no browser is ever downloaded)
opens Bangfu's GraphiQL page, served as ``bangfu serve --demo`` serves it (uvicorn, a small
demo database) on a free localhost port. Every
host but 127.0.0.1 resolves to nothing and every other request goes to a dead proxy, so
the page works only if all it needs comes from Bangfu. The test logs in through the
page's form, runs the README's query, reads the answer from the page, takes a
screenshot, logs out, and checks that the password is in no address, history entry or
storage of the browser.

The browser is driven over the Chrome DevTools Protocol through a pipe
(``--remote-debugging-pipe``: messages are JSON, separated by NUL bytes, on the
browser's file descriptors 3 and 4), so no WebDriver nor WebSocket package is needed.
"""

import base64
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.served import free_port, served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install chromium; .ci/run installs it)",
)

USERNAME = "admin"
PASSWORD = "Demo-2026!linfen"  # every demo user's (README)
TIMEOUT = 30.0


class DevTools:
    """A Chrome DevTools Protocol connection over ``--remote-debugging-pipe``."""

    def __init__(self, reader: int, writer: int) -> None:
        self.reader = os.fdopen(reader, "rb", buffering=0)
        self.writer = os.fdopen(writer, "wb", buffering=0)
        self.next_id = 0
        self.answers: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.arrived = threading.Condition()
        self.session: str | None = None
        self.reading = threading.Thread(target=self._read, daemon=True)
        self.reading.start()

    def _read(self) -> None:
        buffered = b""
        while chunk := self.reader.read(65536):
            buffered += chunk
            *messages, buffered = buffered.split(b"\0")
            with self.arrived:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self.answers[message["id"]] = message
                    else:
                        self.events.append(message)
                self.arrived.notify_all()

    def send(self, method: str, /, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if self.session is not None and not method.startswith("Target."):
            message["sessionId"] = self.session
        self.writer.write(json.dumps(message).encode() + b"\0")
        with self.arrived:
            if not self.arrived.wait_for(lambda: self.next_id in self.answers, TIMEOUT):
                raise TimeoutError(method)
            answer = self.answers.pop(self.next_id)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return dict(answer.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; status: {self.status()!r}")

    def status(self) -> Any:
        return self.evaluate("(document.getElementById('bangfu-status') || {}).textContent")

    def of(self, method: str) -> list[dict[str, Any]]:
        with self.arrived:
            return [e["params"] for e in self.events if e.get("method") == method]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
    """The service with the demo data and users (20 households) on a free localhost port."""
    with served(tmp_path, None, households=20) as base:
        yield base


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    """Headless Chromium that can reach 127.0.0.1 and nothing else."""
    assert CHROMIUM is not None
    to_browser, from_us = os.pipe()
    from_browser, to_us = os.pipe()
    flags = [
        "--headless=new",
        "--remote-debugging-pipe",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path / 'chromium'}",
        # The network is cut off: no name resolves, and whatever is not 127.0.0.1 goes to
        # a proxy on a port where nothing listens.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{free_port()}",
        "--proxy-bypass-list=127.0.0.1",
        "about:blank",
    ]

    log = (tmp_path / "chromium.log").open("wb")

    def pipes_on_3_and_4() -> None:  # the browser reads commands on 3, answers on 4
        os.dup2(to_browser, 3)
        os.dup2(to_us, 4)

    process = subprocess.Popen(
        [CHROMIUM, *flags],
        preexec_fn=pipes_on_3_and_4,
        close_fds=False,  # Python's own descriptors are close-on-exec; 3 and 4 are not
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    os.close(to_browser)
    os.close(to_us)
    tools = DevTools(from_browser, from_us)
    try:
        target = tools.send("Target.createTarget", url="about:blank")["targetId"]
        tools.session = tools.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime", "Log"):
            tools.send(f"{domain}.enable")
        yield tools
    finally:
        tools.writer.close()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        tools.reading.join(10)  # the browser is gone: its end of the pipe is closed
        tools.reader.close()
        log.close()


def _type(browser: DevTools, element_id: str, text: str) -> None:
    browser.evaluate(f"document.getElementById({element_id!r}).focus()")
    browser.send("Input.insertText", text=text)


RESULT = "(document.querySelector('.result-window .CodeMirror') || {}).CodeMirror"
EVERYTHING_STORED = """JSON.stringify({
  url: location.href,
  cookie: document.cookie,
  local: Object.entries(localStorage),
  session: Object.entries(sessionStorage),
  page: document.documentElement.outerHTML,
  editors: [...document.querySelectorAll('.CodeMirror')].map(e => e.CodeMirror.getValue()),
})"""


def _run_query(browser: DevTools) -> dict[str, Any]:
    browser.evaluate(f"{RESULT}.setValue('')")
    browser.evaluate("document.querySelector('.graphiql-execute-button').click()")
    text = browser.wait_for(
        f"(v => v.trim().startsWith('{{') && !v.includes('Loading') && v)({RESULT}.getValue())",
        "the answer in the result pane",
    )
    return dict(json.loads(text))


def test_graphiql_works_offline_and_keeps_the_password_nowhere(
    service: str, browser: DevTools, tmp_path: Path
) -> None:
    browser.send("Page.navigate", url=f"{service}/graphql")
    browser.wait_for(
        "document.readyState === 'complete' && !!document.querySelector("
        "'.graphiql-execute-button') && !!document.querySelector('.result-window .CodeMirror')",
        "GraphiQL to start",
    )
    assert browser.evaluate("document.title") == "帮扶 Bangfu · GraphQL 调试台"
    query = browser.evaluate(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
    )
    assert query.startswith("# 帮扶 Bangfu · GraphQL 调试台")
    assert "households(first: 5, filter: {category: DIBAO})" in query
    assert "docs/api.md" in query

    # Log in through the form: the password goes in a POST body, and nowhere else.
    _type(browser, "bangfu-username", USERNAME)
    _type(browser, "bangfu-password", PASSWORD)
    browser.evaluate("document.getElementById('bangfu-login-button').click()")
    browser.wait_for("!document.getElementById('bangfu-session').hidden", "the login")
    assert browser.evaluate("document.getElementById('bangfu-who').textContent") == USERNAME
    assert browser.evaluate("document.getElementById('bangfu-password').value") == ""
    token = browser.evaluate("sessionStorage.getItem('bangfu:token')")
    assert token

    # The README's query, answered for the logged-in user, read from the result pane.
    answer = _run_query(browser)
    assert "errors" not in answer, answer
    households = answer["data"]["households"]
    assert households["totalCount"] > 0
    assert households["nodes"] and households["nodes"][0]["members"]
    assert all(node["region"]["name"] for node in households["nodes"])

    screenshot = tmp_path / "graphiql.png"
    screenshot.write_bytes(base64.b64decode(browser.send("Page.captureScreenshot")["data"]))
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert screenshot.stat().st_size > 10_000

    # The schema came through the same fetcher: the documentation explorer shows it.
    browser.evaluate(
        "document.querySelector('[aria-label=\"Show Documentation Explorer\"]').click()"
    )
    docs = browser.wait_for(
        "(document.querySelector('.graphiql-doc-explorer') || {}).innerText", "the docs"
    )
    assert "Query" in docs and "Mutation" in docs

    # GraphiQL's query history has the query, and nothing of the login.
    browser.evaluate("document.querySelector('[aria-label=\"Show History\"]').click()")
    history = browser.wait_for(
        "(document.querySelector('.graphiql-history') || {}).innerText", "the history pane"
    )
    assert "households" in history
    assert "login" not in history.lower()

    # A login typed into the editor anyway (as the old README said): it runs, but
    # GraphiQL's history and storage keep nothing of it.
    editor = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
    typed = f'mutation {{ login(username: "{USERNAME}", password: "{PASSWORD}") {{ token }} }}'
    browser.evaluate(f"{editor}.setValue({json.dumps(typed)})")
    assert _run_query(browser)["data"]["login"]["token"]
    history = browser.evaluate("document.querySelector('.graphiql-history').innerText")
    assert "households" in history and "login" not in history.lower()
    browser.evaluate(f"{editor}.setValue('{{ plugins {{ name }} }}')")

    stored = browser.evaluate(EVERYTHING_STORED)
    assert token in stored  # sessionStorage, this tab only
    assert PASSWORD not in stored
    assert "graphiql" not in stored.split('"local"')[1].split('"session"')[0].lower()

    # Logging out revokes the token and forgets it.
    browser.evaluate("document.getElementById('bangfu-logout-button').click()")
    browser.wait_for("!document.getElementById('bangfu-login').hidden", "the logout")
    browser.wait_for(
        "document.getElementById('bangfu-status').textContent.includes('已退出登录')",
        "the logout's answer",
    )
    assert browser.evaluate("sessionStorage.getItem('bangfu:token')") is None
    revoked = urllib.request.Request(
        f"{service}/graphql",
        data=b'{"query": "{ plugins { name } }"}',
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(revoked, timeout=5)
    assert refused.value.code == 401
    refused.value.close()
    stored = browser.evaluate(EVERYTHING_STORED)
    assert token not in stored and PASSWORD not in stored

    # A revoked (or expired) token: the page says so and shows the login form again.
    browser.evaluate(f"sessionStorage.setItem('bangfu:token', {json.dumps(token)})")
    refused_answer = _run_query(browser)
    assert refused_answer["errors"][0]["message"] == "the token was revoked: log in again"
    assert refused_answer["errors"][0]["extensions"]["reason"] == "REVOKED"
    assert "登录已失效" in browser.status()
    assert browser.evaluate("sessionStorage.getItem('bangfu:token')") is None

    # No address, history entry or request URL holds the password; nothing left 127.0.0.1.
    history_entries = browser.send("Page.getNavigationHistory")["entries"]
    assert [e["url"] for e in history_entries][-1] == f"{service}/graphql"
    requests = [e["request"] for e in browser.of("Network.requestWillBeSent")]
    urls = [r["url"] for r in requests] + [e["url"] for e in history_entries]
    assert all(PASSWORD not in url and "password" not in url.lower() for url in urls), urls
    # Fonts and icons are data: URIs inside GraphiQL's stylesheet; everything else is ours.
    fetched = [r["url"] for r in requests if not r["url"].startswith(("data:", "about:"))]
    assert all(url.startswith(f"{service}/") for url in fetched), fetched
    assert f"{service}/graphiql/graphiql.min.js" in fetched
    assert {r["method"] for r in requests if "password" in r.get("postData", "")} == {"POST"}
    assert not browser.of("Network.loadingFailed"), browser.of("Network.loadingFailed")
    # No script error, no refusal by the Content-Security-Policy.
    assert not browser.of("Runtime.exceptionThrown"), browser.of("Runtime.exceptionThrown")
    problems = [
        e["entry"]["text"] for e in browser.of("Log.entryAdded") if e["entry"]["level"] == "error"
    ]
    revoked_401 = "the server responded with a status of 401 (Unauthorized)"
    assert [p for p in problems if revoked_401 not in p] == [], problems
