"""Webhook endpoints (issue 22): the URLs Bangfu will call (no server-side request forgery
in production), the Standard Webhooks signature a receiver checks, the retry schedule, and
``bangfu webhook add|list|remove`` on SQLite and PostgreSQL."""

import datetime as dt
import ipaddress
import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bangfu.cli import main
from bangfu.core.errors import DomainError, ErrorCode
from bangfu.core.jobs.retry import FIRST_DELAY, MAX_ATTEMPTS, MAX_DELAY, retry_delay
from bangfu.core.security.models import AuditEvent
from bangfu.core.webhooks.events import WebhookEvent
from bangfu.core.webhooks.models import WebhookEndpoint
from bangfu.core.webhooks.signing import new_secret, signed_headers
from bangfu.core.webhooks.targets import check_target
from tests.test_users_and_clients_cli import env, query  # noqa: F401 (fixture)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "care.md"
PUBLIC = "93.184.215.14"


def resolver(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(addresses)


def refusal(
    url: str,
    *,
    production: bool = True,
    addresses: tuple[str, ...] = (PUBLIC,),
    networks: tuple[str, ...] = (),
) -> str:
    with pytest.raises(DomainError) as caught:
        check_target(
            url,
            production=production,
            allowed_networks=[ipaddress.ip_network(n) for n in networks],
            resolve=resolver(*addresses),
        )
    (error,) = caught.value.errors
    assert (error.field, error.code) == ("url", ErrorCode.WEBHOOK_URL_REFUSED)
    return error.message


# --- which URLs -----------------------------------------------------------------------------

NOT_PUBLIC = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.5",
    "192.168.1.1",
    "169.254.169.254",
    "0.0.0.0",
    "100.64.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "::1",
    "fe80::1",
    "fd00::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_production_refuses_every_address_that_is_not_public(address: str) -> None:
    message = refusal("https://partner.example/hook", addresses=(PUBLIC, address))
    assert address in message and "public addresses" in message
    literal = f"[{address}]" if ":" in address else address
    refusal(f"https://{literal}/hook")


@given(st.ip_addresses(v=4))
def test_production_allows_exactly_the_global_addresses(address: ipaddress.IPv4Address) -> None:
    try:
        check_target(
            "https://partner.example/hook", production=True, resolve=resolver(str(address))
        )
        allowed = True
    except DomainError:
        allowed = False
    assert allowed == (address.is_global and not address.is_multicast)


def test_allowed_networks_admit_an_intranet_but_never_loopback_or_metadata() -> None:
    target = check_target(
        "https://case.intranet.gov/hook",
        production=True,
        allowed_networks=[ipaddress.ip_network("10.20.0.0/16")],
        resolve=resolver("10.20.3.4"),
    )
    assert target.addresses == ("10.20.3.4",) and target.port == 443
    refusal("https://case.intranet.gov/hook", addresses=("10.21.0.1",), networks=("10.20.0.0/16",))
    for address, network in [("127.0.0.1", "127.0.0.0/8"), ("169.254.169.254", "169.254.0.0/16")]:
        refusal("https://x.gov/hook", addresses=(address,), networks=(network,))


def test_development_allows_a_local_receiver_but_not_a_malformed_url() -> None:
    target = check_target("http://127.0.0.1:8765/hook", production=False)
    assert (target.scheme, target.host, target.port) == ("http", "127.0.0.1", 8765)
    assert "absolute http or https" in refusal("ftp://partner.example/x", production=False)
    assert "absolute http or https" in refusal("/relative/hook", production=False)
    assert "user name or password" in refusal("https://u:p@partner.example/", production=False)
    assert "fragment" in refusal("https://partner.example/#x", production=False)
    assert "not a valid URL" in refusal("https://partner.example:99999/", production=False)
    assert "only over https" in refusal("http://partner.example/hook")
    assert "does not resolve" in refusal("https://nowhere.invalid/", addresses=())
    assert "at most 2000" in refusal("https://partner.example/" + "a" * 2000)


# --- signatures -----------------------------------------------------------------------------


def docs_receiver():  # type: ignore[no-untyped-def]
    """The receiver's check docs/care.md shows, run as a reader would copy it."""
    text = DOCS.read_text(encoding="utf-8")
    code = re.search(r"<!-- receiver -->\n```python\n(.*?)```", text, re.S)
    assert code is not None, "docs/care.md lost its receiver example"
    namespace: dict[str, object] = {}
    exec(code.group(1), namespace)
    return namespace["verified"]


@given(st.binary(max_size=2000), st.uuids())
def test_deliveries_verify_with_the_library_and_with_the_docs_check(body: bytes, id_) -> None:  # type: ignore[no-untyped-def]
    secret = new_secret()
    now = dt.datetime.now(dt.UTC)
    headers = signed_headers(secret, str(id_), body, now)
    Webhook(secret).verify(body, headers, json_parse=False)
    verified = docs_receiver()
    assert verified(secret, headers, body)
    assert not verified(secret, headers, body + b" ")
    assert not verified(new_secret(), headers, body)
    stale = signed_headers(secret, str(id_), body, now - dt.timedelta(minutes=10))
    assert not verified(secret, stale, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b"x", headers, json_parse=False)


def test_secrets_are_new_each_time_and_in_the_standard_form() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", s) for s in secrets)


# --- retries --------------------------------------------------------------------------------


def test_retries_double_up_to_a_cap_and_then_give_up() -> None:
    delays = [retry_delay(attempt) for attempt in range(1, MAX_ATTEMPTS + 1)]
    assert delays[0] == FIRST_DELAY and delays[1] == 2 * FIRST_DELAY
    assert delays[-1] is None and None not in delays[:-1]
    assert max(d for d in delays if d is not None) == MAX_DELAY
    # docs/care.md: the last attempt is about 14.5 hours after the first
    assert sum((d for d in delays if d is not None), dt.timedelta()).total_seconds() == 52290
    with pytest.raises(ValueError):
        retry_delay(0)


@given(st.integers(1, MAX_ATTEMPTS - 1), st.integers(0, 2**32))
def test_jitter_adds_at_most_a_tenth(attempt: int, seed: int) -> None:
    plain = retry_delay(attempt)
    jittered = retry_delay(attempt, jitter=random.Random(seed))
    assert plain is not None and jittered is not None
    assert plain <= jittered <= plain * 1.1


# --- bangfu webhook -------------------------------------------------------------------------


def endpoints() -> list[WebhookEndpoint]:
    return query(select(WebhookEndpoint).order_by(WebhookEndpoint.id))


def test_add_list_and_remove(
    env: dict[str, str | None],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["webhook", "add", "http://127.0.0.1:9/hook", "--name", "hongtong-case"]
    assert main([*argv, "--events", "care_event.raised,care_event.escalated"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "endpoint hongtong-case added (id 1) for care_event.escalated, care_event.raised"
    )
    secret = out[2]
    assert secret.startswith("whsec_")
    (row,) = endpoints()
    assert (row.name, row.url, row.events) == (
        "hongtong-case",
        "http://127.0.0.1:9/hook",
        "care_event.escalated care_event.raised",
    )
    assert secret.encode() not in row.secret_cipher
    assert main(["webhook", "add", "http://127.0.0.1:9/all", "--name", "all", "--events", "*"]) == 0
    capsys.readouterr()
    assert endpoints()[1].events == " ".join(sorted(WebhookEvent))

    assert main(["webhook", "list"]) == 0
    listing = capsys.readouterr().out
    assert "hongtong-case" in listing and "whsec_" not in listing and secret not in listing

    assert main(["webhook", "log"]) == 0
    assert capsys.readouterr().out == ""  # nothing delivered yet
    assert main(["webhook", "log", "--limit", "0"]) == 2
    assert "--limit" in capsys.readouterr().err
    argv = ["webhook", "add", "http://127.0.0.1:9/x", "--name", "x", "--events", "*"]
    assert main([*argv, "--region", "141023"]) == 0
    capsys.readouterr()
    assert endpoints()[2].area_path == "141000/141023/"
    assert main([*argv[:4], "y", *argv[5:], "--region", "999999"]) == 2
    assert "argument --region: unknown region code 999999" in capsys.readouterr().err

    assert main(["webhook", "remove", "hongtong-case"]) == 0
    assert "endpoint hongtong-case removed" in capsys.readouterr().out
    assert [row.name for row in endpoints()] == ["all", "x"]
    audit = query(select(AuditEvent).where(AuditEvent.operation.like("cli:webhook.%")))
    assert [event.operation for event in audit] == [
        "cli:webhook.add",
        "cli:webhook.add",
        "cli:webhook.add",
        "cli:webhook.remove",
    ]
    assert all(secret not in json.dumps(event.details) for event in audit)


def test_refusals_name_the_argument_and_write_nothing(
    env: dict[str, str | None],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refused(*argv: str) -> list[str]:
        assert main(["webhook", *argv]) == 2
        lines = capsys.readouterr().err.splitlines()
        assert lines and all(line.startswith("bangfu: error: argument ") for line in lines)
        return lines

    (line,) = refused("add", "http://127.0.0.1/h", "--name", "x", "--events", "care_event.lost")
    assert "--events" in line and "care_event.lost" in line and "pairing.ended" in line
    monkeypatch.setenv("BANGFU_PROFILE", "production")
    (line,) = refused("add", "https://127.0.0.1/h", "--name", "x", "--events", "*")
    assert line.startswith("bangfu: error: argument URL: ") and "127.0.0.1" in line
    monkeypatch.setenv("BANGFU_WEBHOOK_ALLOWED_NETWORKS", '["127.0.0.0/8"]')
    refused("add", "https://127.0.0.1/h", "--name", "x", "--events", "*")
    monkeypatch.delenv("BANGFU_PROFILE")
    assert main(["webhook", "add", "http://127.0.0.1/h", "--name", "x", "--events", "*"]) == 0
    capsys.readouterr()
    lines = refused("add", "ftp://127.0.0.1/h", "--name", "x", "--events", "*")
    assert [line.split(": ")[2] for line in lines] == ["argument --name", "argument URL"]
    (line,) = refused("remove", "nobody")
    assert "no endpoint named nobody" in line
    assert [row.name for row in endpoints()] == ["x"]
    operations = [e.operation for e in query(select(AuditEvent))]
    assert operations.count("cli:webhook.add") == 1 and "cli:webhook.remove" not in operations
