"""Authentication (SECURITY.md, "Authentication"): passwords, lockout, brute force through
aliases, token expiry and revocation, partner API clients."""

import asyncio
import datetime as dt
import string
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from bangfu.testing import Harness
from core.db import utcnow
from core.security import ActorKind, Role, users
from core.security.auth import actor_for_token
from core.security.models import AccessToken, ApiClient, AuditEvent, LoginFailure, User
from core.security.passwords import (
    PasswordPolicyError,
    character_classes,
    check_policy,
    generate_password,
    hash_password,
    verify_password,
)
from core.security.tokens import aware, token_digest
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
    from core.errors import DomainError

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


# --- lockout ----------------------------------------------------------------------------


async def test_the_sixth_wrong_password_locks_the_account(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    for attempt in range(1, 6):
        assert (await login(h, "wangwei", f"Wrong-{attempt}x"))["errors"] == REFUSED
        assert (await get_user(h, "wangwei")).locked_until is None
    assert (await login(h, "wangwei", "Wrong-6x"))["errors"] == REFUSED
    locked_until = (await get_user(h, "wangwei")).locked_until
    assert locked_until is not None
    remaining = aware(locked_until) - utcnow()
    assert dt.timedelta(minutes=14) < remaining <= dt.timedelta(minutes=15)
    assert await failures(h, "wangwei") == 6

    # Locked: the right password is refused too, with the same generic answer.
    refused = await login(h, "wangwei", PASSWORD)
    assert refused == {"token": None, "expiresAt": None, "errors": REFUSED}
    assert await failures(h, "wangwei") == 6  # a right password is no failed guess

    # Every attempt left one audit row; refusals as the anonymous actor.
    events = await login_events(h)
    assert [e.outcome for e in events] == ["failed"] * 6 + ["denied"]
    assert {(e.actor_kind, e.actor_name, e.actor_id) for e in events} == {
        ("ANONYMOUS", "anonymous", None)
    }
    assert all(e.details["username"] == "wangwei" for e in events)
    assert all(e.request_id for e in events)
    assert len({e.request_id for e in events}) == 7  # one request each
    assert "locked_until" in events[5].details and events[6].details["reason"] == "account locked"
    assert all(PASSWORD not in str(e.details) for e in events)

    # When the lock and the window have passed, the right password works again.
    async with h.session() as session, session.begin():
        past = utcnow() - dt.timedelta(minutes=16)
        await session.execute(update(LoginFailure).values(at=past))
        await session.execute(
            update(User).where(User.username == "wangwei").values(locked_until=past)
        )
    ok = await login(h, "wangwei", PASSWORD)
    assert ok["errors"] == [] and ok["token"]
    last = (await login_events(h))[-1]
    assert (last.outcome, last.actor_kind, last.actor_name) == ("ok", "USER", "wangwei")
    assert await failures(h, "wangwei") == 0  # a successful login starts the count afresh


async def test_five_wrong_passwords_do_not_lock(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    for attempt in range(5):
        await login(h, "wangwei", f"Wrong-{attempt}x")
    assert (await login(h, "wangwei", PASSWORD))["errors"] == []


async def test_failures_outside_the_window_do_not_count(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    async with h.session() as session, session.begin():
        old = utcnow() - dt.timedelta(minutes=16)
        session.add_all(LoginFailure(username="wangwei", at=old) for _ in range(10))
    for attempt in range(5):
        await login(h, "wangwei", f"Wrong-{attempt}x")
    assert (await get_user(h, "wangwei")).locked_until is None
    await login(h, "wangwei", "Wrong-5x")
    assert (await get_user(h, "wangwei")).locked_until is not None


async def test_concurrent_wrong_passwords_all_count(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    answers = await asyncio.gather(*(login(h, "wangwei", f"Wrong-{i}x") for i in range(8)))
    assert all(a["errors"] == REFUSED for a in answers)
    assert await failures(h, "wangwei") == 8
    assert (await get_user(h, "wangwei")).locked_until is not None
    assert len(await login_events(h)) == 8
    assert (await login(h, "wangwei", PASSWORD))["errors"] == REFUSED


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


async def test_fifty_login_aliases_are_refused_and_each_counts(harness: Harness) -> None:
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
    assert (await get_user(h, "wangwei")).locked_until is not None
    events = await login_events(h)
    assert len(events) == 50 and {e.outcome for e in events} == {"failed"}
    async with h.session() as session:
        assert await session.scalar(select(func.count()).select_from(AccessToken)) == 0
    # The account is locked now: the right password is refused.
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


async def test_resetting_a_password_lifts_the_lock(harness: Harness) -> None:
    h = harness
    await new_user(h, "wangwei")
    for attempt in range(6):
        await login(h, "wangwei", f"Wrong-{attempt}x")
    assert (await get_user(h, "wangwei")).locked_until is not None
    async with h.session() as session, session.begin():
        await users.reset_password(session, "wangwei", "Another-one-2027")
    assert (await get_user(h, "wangwei")).locked_until is None
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
