"""Users and their bearer tokens."""

import datetime as dt
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.db import Base, PathString, utcnow
from bangfu.core.registry.scoping import GlobalModel


class User(GlobalModel, Base):
    """A person who logs in: belongs to an organisation and an area, holds roles."""

    __tablename__ = "core_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("core_region.code"))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # A locked account has locked_until in the future. No longer set (failed logins are
    # throttled instead, bangfu.core.security.auth); a lock set by an earlier version is honoured
    # until it ends, and `bangfu user reset-password` lifts it.
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)


class AccessToken(GlobalModel, Base):
    """A bearer token; only its SHA-256 digest is stored."""

    __tablename__ = "core_access_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ApiClient(GlobalModel, Base):
    """A partner organisation's program: a named, scoped, expiring bearer token."""

    __tablename__ = "core_api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("core_region.code"))
    # Scopes: "read" (always read-only for now) and the plugins whose fields it may read.
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class TrustedDocument(GlobalModel, Base):
    """A GraphQL document an administrator registered (``bangfu documents add``): for one API
    client, or, with no client, for the applications of the users who log in. Where trusted
    documents are on (the production profile) these are the only documents that run,
    besides logging in and out (``bangfu.persisted``). Stored by the SHA-256 of its text."""

    __tablename__ = "core_trusted_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: the users' set (the applications of staff who log in with a password).
    client_id: Mapped[int | None] = mapped_column(ForeignKey("core_api_client.id"), default=None)
    sha256: Mapped[str] = mapped_column(String(64))
    # The names of its operations, space-separated (what `bangfu documents list` shows).
    operations: Mapped[str] = mapped_column(String(500), default="")
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("client_id", "sha256"),)


class LoginFailure(GlobalModel, Base):
    """A login attempt that has not succeeded (yet), kept for the throttling window."""

    __tablename__ = "core_login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The client's IP address (None when the server does not know it).
    address: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    # The attempt is being checked (recorded before its password is: concurrent attempts
    # see each other); a failed one is no longer pending, a successful one is removed.
    pending: Mapped[bool] = mapped_column(default=False, server_default=false())


class IdempotencyRecord(GlobalModel, Base):
    """The first response to a mutation sent with an ``Idempotency-Key`` header.

    Until the response is stored, the record is a *claim*: held by ``owner`` (a random
    token per request) until ``lease_until``; ``committed_at`` is set in the transaction of
    the first effect of the request that commits (``bangfu.idempotency``).
    """

    __tablename__ = "core_idempotency_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Keys are per caller: the same key from two users is two records.
    principal: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    request_digest: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(default=None)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    owner: Mapped[str | None] = mapped_column(String(32), default=None)
    lease_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    committed_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    __table_args__ = (UniqueConstraint("principal", "key"),)


class AuditEvent(GlobalModel, Base):
    """One row of the append-only audit trail; ``hash`` chains it to the row before.

    Readable through ``auditLog`` by administrators and supervisors, each in the area
    the row records (``area_path``, see ``bangfu.core.security.audit_area``); the database
    refuses UPDATE and DELETE on this table (triggers), and the hash chain shows any
    row edited behind the application's back (``bangfu audit verify``).
    """

    __tablename__ = "core_audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(100), index=True)
    actor_id: Mapped[int | None] = mapped_column(default=None)
    roles: Mapped[str] = mapped_column(String(200), default="")
    operation: Mapped[str] = mapped_column(String(100), index=True)
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The narrowest region holding what the row is about (bangfu.core.security.audit_area);
    # None: the system's and anonymous rows, and rows written before it was recorded.
    area_path: Mapped[str | None] = mapped_column(PathString, default=None, index=True)


class AuditHead(GlobalModel, Base):
    """The single row that serialises appends to the audit chain and holds its end."""

    __tablename__ = "core_audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(default=0)


# The database itself refuses to change or remove audit rows (created with the table, and
# by the migration that creates it).
AUDIT_APPEND_ONLY_SQLITE = [
    f"CREATE TRIGGER core_audit_event_no_{verb.lower()} BEFORE {verb} ON core_audit_event "
    "BEGIN SELECT RAISE(ABORT, 'core_audit_event is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
AUDIT_APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION core_audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'core_audit_event is append-only'; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER core_audit_event_append_only BEFORE UPDATE OR DELETE ON core_audit_event "
    "FOR EACH ROW EXECUTE FUNCTION core_audit_append_only()",
    "CREATE TRIGGER core_audit_event_no_truncate BEFORE TRUNCATE ON core_audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION core_audit_append_only()",
]
for _statement in AUDIT_APPEND_ONLY_SQLITE:
    event.listen(AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in AUDIT_APPEND_ONLY_POSTGRESQL:
    event.listen(
        AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )
