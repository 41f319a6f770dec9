"""Authentication (SECURITY.md, "Authentication"): passwords, throttling of failed logins,
brute force through aliases, token expiry and revocation, partner API clients."""

import asyncio
import contextlib
import datetime as dt
import string
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from bangfu.core.db import utcnow
from bangfu.core.security import ActorKind, Role, users
from bangfu.core.security.auth import actor_for_token
from bangfu.core.security.models import AccessToken, ApiClient, AuditEvent, LoginFailure, User
from bangfu.core.security.passwords import (
    PasswordPolicyError,
    character_classes,
    check_policy,
    generate_password,
    hash_password,
    verify_password,
)
from bangfu.core.security.tokens import aware, token_digest
from bangfu.testing import Harness
from tests.helpers import HONGTONG_VILLAGE, World, create_household

pytestmark = pytest.mark.anyio

LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token expiresAt errors { code message } } }"
REFUSED = [{"code": "INVALID_CREDENTIALS", "message": "wrong user name or password"}]
PASSWORD = "Tiger-lily-2026"


# --- password policy (property-based) ---------------------------------------------------

LOWER, UPPER, DIGITS, OTHER = (
    string.ascii_lowercase,
    string.ascii_uppercase,
    string.digits,
    "!#-_. @",
)
CLASSES = (LOWER, UPPER, DIGITS, OTHER)


def _satisfies(password: str, username: str) -> bool:
    return (
        len(password) >= 8
        and character_classes(password) >= 3
        and not (username and username.lower() in password.lower())
    )


@given(password=st.text(max_size=40), username=st.text(max_size=12))
@example(password="Abcdefg1", username="")
@example(password="Abcdefg1", username="bcd")
@example(password="abcdefg1", username="")
@example(password="Abc-1", username="")
def test_the_policy_accepts_exactly_the_passwords_that_satisfy_it(
    password: str, username: str
) -> None:
    try:
        check_policy(password, username)
        accepted = True
    except PasswordPolicyError:
        accepted = False
    assert accepted == _satisfies(password, username)


@given(st.text(max_size=7))
def test_short_passwords_are_refused(password: str) -> None:
    with pytest.raises(PasswordPolicyError, match="at least 8 characters"):
        check_policy(password, "someone")


@given(
    st.sampled_from([(a, b) for a in CLASSES for b in CLASSES]).flatmap(
        lambda pair: st.text(alphabet=pair[0] + pair[1], min_size=8, max_size=40)
    )
)
def test_passwords_of_fewer_than_three_classes_are_refused(password: str) -> None:
    with pytest.raises(PasswordPolicyError, match="three of"):
        check_policy(password, "someone")


@given(
    username=st.text(alphabet=LOWER, min_size=2, max_size=12),
    prefix=st.text(alphabet=LOWER + UPPER + DIGITS + OTHER, max_size=10),
    suffix=st.text(alphabet=LOWER + UPPER + DIGITS + OTHER, max_size=10),
    upper=st.booleans(),
)
def test_passwords_containing_the_user_name_are_refused(
    username: str, prefix: str, suffix: str, upper: bool
) -> None:
    # Padding that on its own satisfies length and classes: only the user name is wrong.
    password = f"Aa1-Zz9!{prefix}{username.upper() if upper else username}{suffix}"
    with pytest.raises(PasswordPolicyError, match="user name"):
        check_policy(password, username)


@given(
    st.lists(st.sampled_from(CLASSES), min_size=3, max_size=4, unique=True).flatmap(
        lambda classes: st.tuples(
            *(st.text(alphabet=c, min_size=1, max_size=6) for c in classes),
            st.text(alphabet="".join(classes), min_size=8, max_size=20),
        )
    )
)
def test_long_mixed_passwords_are_accepted(parts: tuple[str, ...]) -> None:
    password = "".join(parts)
    check_policy(password, "Ω")  # a user name that cannot occur in it


@given(st.sampled_from(["admin", "xiangfen", "ab", "a.b-c"]))
def test_generated_passwords_satisfy_the_policy(username: str) -> None:
    password = generate_password(username)
    check_policy(password, username)
    assert character_classes(password) == 4


def test_stored_hashes_are_argon2id() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    assert not verify_password("not a hash", PASSWORD)


# --- helpers ------------------------------------------------------------------------------


async def new_user(
    h: Harness,
    username: str,
    password: str = PASSWORD,
    *,
    region: str = "141023",
    organisation: str = "141023-civil-affairs",
    roles: tuple[str, ...] = ("CIVIL_AFFAIRS_OFFICER",),
) -> User:
    async with h.session() as session, session.begin():
        return await users.create_user(
            session,
            username,
            password,
            organisation_code=organisation,
            region_code=region,
            roles=roles,
        )


async def login(h: Harness, username: str, password: str) -> dict[str, Any]:
    return (await h.ok(LOGIN, {"u": username, "p": password}))["login"]  # type: ignore[no-any-return]


async def login_events(h: Harness) -> list[AuditEvent]:
    async with h.session() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.operation == "login").order_by(AuditEvent.id)
        )
        return list(rows)


async def failures(h: Harness, username: str) -> int:
    async with h.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.username == username)
        )
    return int(count or 0)


async def get_user(h: Harness, username: str) -> User:
    async with h.session() as session:
        user = await session.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


# --- password policy where passwords are set -------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Ab1-xyz", "at least 8 characters"),
        ("abcdefgh12", "three of"),
        ("ALLUPPER-----", "three of"),
        ("Wangwei-2026", "user name"),
    ],
)
async def test_a_weak_password_is_refused_when_a_user_is_created(
    harness: Harness, password: str, why: str
) -> None:
    from bangfu.core.errors import DomainError

    with pytest.raises(DomainError, match=why) as refused:
        await new_user(harness, "wangwei", password)
    assert refused.value.errors[0].field == "password"
    async with harness.session() as session:
        assert await session.scalar(select(User).where(User.username == "wangwei")) is None


async def test_a_created_user_has_an_argon2id_hash_and_can_log_in(harness: Harness) -> None:
    user = await new_user(harness, "wangwei")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    answer = await login(harness, "wangwei", PASSWORD)
    assert answer["errors"] == [] and answer["token"].startswith("bfu_")
    me = await harness.ok("{ me { username roles regionCode } }", token=answer["token"])
    assert me["me"] == {
        "username": "wangwei",
        "roles": ["CIVIL_AFFAIRS_OFFICER"],
        "regionCode": "141023",
    }


# --- throttling of failed logins (OWASP: growing delays, never a lockout) ----------------

ATTACKER = ("198.51.100.66", 40001)
OWNER = ("203.0.113.7", 40002)


@pytest.fixture
async def throttling(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    """Delays of 100 s and more, which no test waits for: time passes by `let_time_pass`."""
    settings = {
        "login_delay_seconds": 100,
        "login_max_delay_minutes": 60,
        "login_window_minutes": 24 * 60,
    }
    async with Harness.start(tmp_path, database_url=database_url, settings=settings) as h:
        yield h


@contextlib.asynccontextmanager
async def client_from(h: Harness, address: tuple[str, int]) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from ``address``."""
    transport = httpx.ASGITransport(app=h.app, client=address)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def login_from(client: httpx.AsyncClient, username: str, password: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": LOGIN, "variables": {"u": username, "p": password}}
    )
    return response.json()["data"]["login"]  # type: ignore[no-any-return]


async def let_time_pass(h: Harness, seconds: float) -> None:
    """As if ``seconds`` had passed since every failed login."""
    async with h.session() as session, session.begin():
        for failure in await session.scalars(select(LoginFailure)):
            failure.at = aware(failure.at) - dt.timedelta(seconds=seconds)


async def test_beyond_six_wrong_passwords_each_attempt_waits_longer(throttling: Harness) -> None:
    h = throttling
    await new_user(h, "wangwei")
    for attempt in range(1, 7):  # the first six attempts are never delayed
        assert (await login(h, "wangwei", f"Wrong-{attempt}x"))["errors"] == REFUSED
    waits = []
    for attempt in range(3):
        # Too early: refused without the password being checked, even the right one.
        assert (await login(h, "wangwei", PASSWORD))["errors"] == REFUSED
        waits.append((await login_events(h))[-1].details["delay_seconds"])
        await let_time_pass(h, waits[-1])
        assert (await login(h, "wangwei", f"Again-{attempt}x"))["errors"] == REFUSED
    assert waits == [100, 200, 400]  # each failure doubles the delay
    assert (await login(h, "wangwei", PASSWORD))["errors"] == REFUSED
    await let_time_pass(h, 800)
    ok = await login(h, "wangwei", PASSWORD)
    assert ok["errors"] == [] and ok["token"]
    assert await failures(h, "wangwei") == 0  # a successful login starts the count afresh

    # Every attempt left one audit row, refusals as the anonymous actor.
    events = await login_events(h)
    assert [(e.outcome, e.details["reason"]) for e in events[6:13]] == [
        ("denied", "throttled"),
        ("failed", "wrong password"),
    ] * 3 + [("denied", "throttled")]
    assert [e.outcome for e in events] == ["failed"] * 6 + ["denied", "failed"] * 3 + [
        "denied",
        "ok",
    ]
    assert {(e.actor_kind, e.actor_name) for e in events[:-1]} == {("ANONYMOUS", "anonymous")}
    assert all(e.details["username"] == "wangwei" for e in events)
    assert all(e.details["address"] == "127.0.0.1" for e in events)
    assert len({e.request_id for e in events}) == len(events)  # one request each
    assert all(PASSWORD not in str(e.details) for e in events)


async def test_six_wrong_passwords_do_not_delay_the_right_one(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    for attempt in range(5):
        await login(h, "wangwei", f"Wrong-{attempt}x")
    assert (await login(h, "wangwei", PASSWORD))["errors"] == []


async def test_a_stranger_cannot_lock_the_owner_out(throttling: Harness) -> None:
    harness = throttling
    # One anonymous request with fifty login aliases for an administrator's user name:
    # every alias counts as a failed attempt from that address, and that address is
    # throttled; the administrator, at another address, logs in as usual.
    h = harness
    await new_user(
        h,
        "chief",
        region="141000",
        organisation="141000-civil-affairs",
        roles=("CITY_ADMINISTRATOR",),
    )
    aliases = " ".join(
        f'a{i}: login(username: "chief", password: "Guess-{i}x") {{ token }}' for i in range(50)
    )
    async with client_from(h, ATTACKER) as attacker, client_from(h, OWNER) as owner:
        answer = (
            await attacker.post("/graphql", json={"query": f"mutation {{ {aliases} }}"})
        ).json()
        assert answer["errors"][0]["extensions"]["code"] == "TOO_MANY_LOGINS"
        assert await failures(h, "chief") == 50
        assert (await login_from(attacker, "chief", PASSWORD))["errors"] == REFUSED
        ok = await login_from(owner, "chief", PASSWORD)
        assert ok["errors"] == [] and ok["token"]
        me = await h.ok("{ me { username roles } }", token=ok["token"])
        assert me == {"me": {"username": "chief", "roles": ["CITY_ADMINISTRATOR"]}}
    assert (await get_user(h, "chief")).locked_until is None
    events = await login_events(h)
    assert [(e.outcome, e.details["address"]) for e in events] == [
        *[("failed", ATTACKER[0])] * 50,
        ("denied", ATTACKER[0]),
        ("ok", OWNER[0]),
    ]


async def test_many_user_names_from_one_address_are_throttled(throttling: Harness) -> None:
    harness = throttling
    h = harness
    await new_user(h, "wangwei")
    async with client_from(h, ATTACKER) as attacker, client_from(h, OWNER) as owner:
        for i in range(21):  # password spraying: one guess for each of many names
            assert (await login_from(attacker, f"user{i}", PASSWORD))["errors"] == REFUSED
        # The address has used its tolerance, whatever the name it tries next.
        assert (await login_from(attacker, "wangwei", PASSWORD))["errors"] == REFUSED
        assert (await login_events(h))[-1].details["reason"] == "throttled"
        assert (await login_from(owner, "wangwei", PASSWORD))["errors"] == []


async def test_failures_outside_the_window_do_not_count(throttling: Harness) -> None:
    harness = throttling
    h = harness
    await new_user(h, "wangwei")
    async with h.session() as session, session.begin():
        old = utcnow() - dt.timedelta(minutes=24 * 60 + 1)
        session.add_all(
            LoginFailure(username="wangwei", address="127.0.0.1", at=old) for _ in range(10)
        )
    for attempt in range(6):
        await login(h, "wangwei", f"Wrong-{attempt}x")
    assert await failures(h, "wangwei") == 6  # the old ones went
    assert (await login(h, "wangwei", PASSWORD))["errors"] == REFUSED  # now too early


async def test_concurrent_attempts_check_no_more_passwords_than_the_tolerance(
    throttling: Harness,
) -> None:
    h = throttling
    await new_user(h, "wangwei")
    # Eight at once: as many requests as one address may have running (max_requests_per_actor).
    answers = await asyncio.gather(*(login(h, "wangwei", f"Wrong-{i}x") for i in range(8)))
    assert all(a["errors"] == REFUSED for a in answers)
    events = await login_events(h)
    assert len(events) == 8  # every attempt audited
    checked = [e for e in events if e.outcome == "failed"]
    # Each attempt is recorded before the others are counted: at most the six tolerated
    # attempts had their password checked, however many came at once.
    assert len(checked) <= 6
    assert {e.details["reason"] for e in events if e.outcome != "failed"} <= {"throttled"}
    assert await failures(h, "wangwei") == len(checked)


async def test_unknown_users_and_disabled_accounts_get_the_same_answer(
    harness: Harness,
) -> None:
    h = harness
    await new_user(h, "wangwei")
    async with h.session() as session, session.begin():
        await users.disable_user(session, "wangwei")
    assert await login(h, "wangwei", PASSWORD) == await login(h, "nobody", PASSWORD)
    events = await login_events(h)
    assert [(e.outcome, e.details["username"]) for e in events] == [
        ("denied", "wangwei"),
        ("failed", "nobody"),
    ]


@pytest.mark.parametrize("username", ["x" * 200, "wang\u0000wei", "", "王伟"])
async def test_odd_user_names_are_refused_like_any_other(harness: Harness, username: str) -> None:
    assert (await login(harness, username, PASSWORD))["errors"] == REFUSED
    (event,) = await login_events(harness)
    assert event.outcome == "failed" and len(event.details["username"]) <= 64


# --- brute force through aliases --------------------------------------------------------


async def test_fifty_login_aliases_are_refused_and_each_counts(throttling: Harness) -> None:
    harness = throttling
    h = harness
    await new_user(h, "wangwei")
    aliases = " ".join(
        f'a{i}: login(username: "wangwei", password: "Guess-{i}x") {{ token }}' for i in range(50)
    )
    answer = await h.gql(f"mutation {{ {aliases} }}")
    assert answer.get("data") is None
    assert answer["errors"][0]["extensions"]["code"] == "TOO_MANY_LOGINS"
    assert "one login per request" in answer["errors"][0]["message"]
    assert await failures(h, "wangwei") == 50
    events = await login_events(h)
    assert len(events) == 50 and {e.outcome for e in events} == {"failed"}
    async with h.session() as session:
        assert await session.scalar(select(func.count()).select_from(AccessToken)) == 0
    # Fifty failures from this address: the right password from here must wait now.
    assert (await login(h, "wangwei", PASSWORD))["errors"] == REFUSED


async def test_logins_hidden_in_fragments_and_variables_are_found(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    await new_user(h, "lisi")
    query = """
    mutation($u: String!, $p: String!) { ...Guess ... on Mutation { b: login(username: "lisi", password: $p) { token } } }
    fragment Guess on Mutation { ...Deeper ...Deeper }
    fragment Deeper on Mutation { a: login(username: $u, password: $p) { token } }
    """
    answer = await h.gql(query, {"u": "wangwei", "p": PASSWORD})
    assert answer.get("data") is None
    assert answer["errors"][0]["extensions"]["code"] == "TOO_MANY_LOGINS"
    assert await failures(h, "wangwei") == 1 and await failures(h, "lisi") == 1
    # The right password in a refused batch issued no token.
    async with h.session() as session:
        assert await session.scalar(select(func.count()).select_from(AccessToken)) == 0


async def test_one_login_through_a_fragment_still_works(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    query = """
    mutation($u: String!, $p: String!) { ...L }
    fragment L on Mutation { login(username: $u, password: $p) { token errors { code } } }
    """
    answer = await h.ok(query, {"u": "wangwei", "p": PASSWORD})
    assert answer["login"]["errors"] == [] and answer["login"]["token"]


# --- tokens -----------------------------------------------------------------------------


async def _token_record(h: Harness, token: str) -> AccessToken:
    async with h.session() as session:
        record = await session.scalar(
            select(AccessToken).where(AccessToken.digest == token_digest(token))
        )
    assert record is not None
    return record


async def _set_last_use(h: Harness, token: str, ago: dt.timedelta) -> None:
    async with h.session() as session, session.begin():
        await session.execute(
            update(AccessToken)
            .where(AccessToken.digest == token_digest(token))
            .values(last_used_at=utcnow() - ago)
        )


async def test_login_tokens_expire_after_the_ttl_and_are_stored_hashed(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    answer = await login(h, "wangwei", PASSWORD)
    record = await _token_record(h, answer["token"])
    ttl = dt.timedelta(minutes=h.settings.token_ttl_minutes)
    assert abs(aware(record.expires_at) - aware(record.created_at) - ttl) < dt.timedelta(seconds=1)
    assert record.digest != answer["token"] and len(record.digest) == 64


async def test_an_idle_token_is_refused(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    token = (await login(h, "wangwei", PASSWORD))["token"]
    idle = dt.timedelta(minutes=h.settings.token_idle_minutes)

    # Used within the idle limit: accepted, and its last use moves to now.
    await _set_last_use(h, token, idle - dt.timedelta(minutes=2))
    assert (await h.post("{ me { username } }", token=token)).status_code == 200
    record = await _token_record(h, token)
    assert utcnow() - aware(record.last_used_at) < dt.timedelta(minutes=1)

    # Unused for longer than the idle limit: refused, although not expired yet.
    await _set_last_use(h, token, idle + dt.timedelta(minutes=1))
    assert aware((await _token_record(h, token)).expires_at) > utcnow()
    response = await h.post("{ me { username } }", token=token)
    assert response.status_code == 401 and "data" not in response.text


async def test_disabling_an_account_revokes_its_tokens_at_once(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    first = (await login(h, "wangwei", PASSWORD))["token"]
    second = (await login(h, "wangwei", PASSWORD))["token"]
    assert (await h.post("{ me { username } }", token=first)).status_code == 200
    async with h.session() as session, session.begin():
        assert await users.disable_user(session, "wangwei") == 2
    for token in (first, second):
        assert (await _token_record(h, token)).revoked_at is not None
        response = await h.post("{ me { username } }", token=token)
        assert response.status_code == 401 and "data" not in response.text
    assert (await login(h, "wangwei", PASSWORD))["errors"] == REFUSED


async def test_a_tampered_token_is_refused(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    token = (await login(h, "wangwei", PASSWORD))["token"]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = await h.post("{ me { username } }", token=tampered)
    assert response.status_code == 401 and "data" not in response.text


async def test_logout_revokes_the_token(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    token = (await login(h, "wangwei", PASSWORD))["token"]
    assert await h.ok("mutation { logout }", token=token) == {"logout": True}
    assert (await _token_record(h, token)).revoked_at is not None
    assert (await h.post("{ me { username } }", token=token)).status_code == 401


async def test_resetting_a_password_lifts_the_throttling(throttling: Harness) -> None:
    harness = throttling
    h = harness
    await new_user(h, "wangwei")
    for attempt in range(7):
        await login(h, "wangwei", f"Wrong-{attempt}x")
    assert (await login(h, "wangwei", PASSWORD))["errors"] == REFUSED
    async with h.session() as session, session.begin():
        await users.reset_password(session, "wangwei", "Another-one-2027")
    assert (await login(h, "wangwei", PASSWORD))["errors"] == REFUSED
    assert (await login(h, "wangwei", "Another-one-2027"))["errors"] == []


# --- partner API clients ----------------------------------------------------------------


async def test_a_client_token_stands_for_a_scoped_read_only_partner(world: World) -> None:
    h = world.h
    token = await h.api_client("red-cross-xiangfen", region="141023", plugins=["education"])
    assert token.startswith("bfc_")
    async with h.session() as session:
        client = await session.scalar(select(ApiClient))
        assert client is not None and client.digest == token_digest(token)
        actor = await actor_for_token(session, token, h.settings)
    assert actor is not None
    assert actor.kind is ActorKind.CLIENT and actor.name == "red-cross-xiangfen"
    assert actor.roles == {Role.PARTNER_CLIENT}
    assert actor.area_path == "141000/141023/"
    assert actor.scopes == {"read", "plugin:education"}

    # It reads its region only.
    await create_household(h, world.xiangfen)
    await create_household(h, world.hongtong, village=HONGTONG_VILLAGE)
    counts = await h.ok("{ persons(first: 10) { totalCount } }", token=token)
    assert counts == {"persons": {"totalCount": 3}}
    assert await h.ok("{ me { username } }", token=token) == {"me": None}


async def test_a_client_cannot_mutate(world: World) -> None:
    h = world.h
    token = await h.api_client("partner", region="141023")
    household = (await create_household(h, world.xiangfen))["household"]
    answer = await h.gql(
        "mutation($input: PersonUpdateInput!) { personUpdate(input: $input) { errors { code } } }",
        {"input": {"id": household["head"]["id"], "expectedVersion": 1, "name": "改名"}},
        token=token,
    )
    assert answer.get("data") is None
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    person = await h.ok(
        "query($id: ID!) { person(id: $id) { name version } }",
        {"id": household["head"]["id"]},
        token=world.xiangfen,
    )
    assert person["person"] == {"name": "王建国", "version": 1}
    async with h.session() as session:
        denied = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.actor_kind == "CLIENT", AuditEvent.outcome == "denied"
                )
            )
        ).all()
    assert [e.operation for e in denied] == ["mutation:personUpdate"]
    # Not even logout.
    assert (await h.gql("mutation { logout }", token=token))["errors"][0]["extensions"][
        "code"
    ] == "FORBIDDEN"


@pytest.mark.parametrize("change", ["expired", "revoked", "tampered"])
async def test_expired_revoked_or_tampered_client_tokens_are_refused(
    harness: Harness, change: str
) -> None:
    h = harness
    token = await h.api_client("partner", region="141023")
    assert (await h.post("{ plugins { name } }", token=token)).status_code == 200
    moment = utcnow() - dt.timedelta(seconds=1)
    async with h.session() as session, session.begin():
        if change == "expired":
            await session.execute(update(ApiClient).values(expires_at=moment))
        elif change == "revoked":
            await session.execute(update(ApiClient).values(revoked_at=moment))
    if change == "tampered":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = await h.post("{ plugins { name } }", token=token)
    assert response.status_code == 401 and "data" not in response.text
