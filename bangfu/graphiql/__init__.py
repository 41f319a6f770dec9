"""Bangfu's GraphiQL page, served by Bangfu itself: it works on an intranet without internet.

The page (``index.html``) is served at the GraphQL endpoint to a browser's ``GET``; its
scripts and styles — GraphiQL and React at pinned versions, with their licences, and
Bangfu's own login form (``static/``, see ``static/README.md``) — under :data:`ASSETS_PATH`.
Both only where GraphiQL is on (``Settings.graphiql_enabled``: the development profile).
The page's Content-Security-Policy lets it load and connect to its own origin only.
"""

from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

FOLDER = Path(__file__).resolve().parent
#: Where the page's assets are served; the page refers to them relatively (``graphiql/…``
#: from ``/graphql``), so a reverse proxy may put the service under a path prefix.
ASSETS_PATH = "/graphiql"

#: Only this origin: scripts, styles and the GraphQL requests. GraphiQL's fonts and icons
#: are ``data:`` URIs; its dialogs add ``<style>`` elements (Radix's scroll lock), so inline
#: styles are allowed, inline scripts are not. No frames, no form submission (the login
#: form is sent by script, so a submitted form can never put the password in a URL).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def page() -> str:
    """The page's HTML."""
    return (FOLDER / "index.html").read_text(encoding="utf-8")


def page_response() -> HTMLResponse:
    """The page, with a policy that forbids every other origin."""
    return HTMLResponse(page(), headers=PAGE_HEADERS)


def assets() -> Mount:
    """The route of the page's scripts, styles and licences (``static/``)."""
    return Mount(ASSETS_PATH, StaticFiles(directory=FOLDER / "static"), name="graphiql")
