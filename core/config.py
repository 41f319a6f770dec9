"""Settings, read from ``BANGFU_`` environment variables (pydantic-settings)."""

import decimal
import enum
import ipaddress
import ssl
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bangfu.core import i18n
from bangfu.core.calendar import Holiday
from bangfu.core.care.events import CareEventKind
from bangfu.core.i18n import _


class Profile(enum.StrEnum):
    """Deployment profile: development turns GraphiQL and introspection on."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class CareSla(BaseModel):
    """How long a paired official has to answer a care event of one kind (R6).

    ``days`` after the day it happened (for a holiday: ``days`` before the holiday),
    counted in calendar days or in working days (China's calendar, with make-up days).
    """

    days: int = Field(ge=0, le=366)
    working_days: bool = False


DEFAULT_CARE_SLA: dict[CareEventKind, CareSla] = {
    CareEventKind.DISASTER: CareSla(days=1),
    CareEventKind.HOSPITALISATION: CareSla(days=3),
    CareEventKind.BEREAVEMENT: CareSla(days=3),
    CareEventKind.SCHOOL_DROPOUT: CareSla(days=7),
    CareEventKind.HOLIDAY: CareSla(days=0),  # on or before the holiday
}


#: Who must have a paired official (一包一): orphans and the other individually certified
#: categories; not dibao alone (docs/indicators.md).
#: The major holidays whose care events count by default: New Year's Day with the Spring
#: Festival (元旦春节 visits), the Mid-Autumn Festival and National Day (中秋国庆).
CARE_HOLIDAYS = (
    Holiday.NEW_YEAR,
    Holiday.SPRING_FESTIVAL,
    Holiday.MID_AUTUMN,
    Holiday.NATIONAL_DAY,
)

PAIRING_CATEGORIES = (
    "ORPHAN",
    "DE_FACTO_UNSUPPORTED_CHILD",
    "CHILD_IN_DIFFICULTY",
    "SPECIAL_HARDSHIP",
    "POOR_DISABLED",
    "ENTITLED_GROUP",
)
ALL_CATEGORIES = (*PAIRING_CATEGORIES, "DIBAO")

#: Core's assessment indicators and their default weights (R9, docs/indicators.md).
DEFAULT_ASSESSMENT_WEIGHTS: dict[str, float] = {
    "screening_coverage": 15,
    "pairing_coverage": 20,
    "five_knowns_freshness": 15,
    "care_timeliness": 20,
    "plan_completion": 15,
    "bottom_line_coverage": 15,
}
#: Below these shares a unit is not eligible for commendation (不得纳入评先树优).
DEFAULT_ASSESSMENT_THRESHOLDS: dict[str, float] = {
    "screening_coverage": 0.8,
    "pairing_coverage": 0.95,
    "five_knowns_freshness": 0.6,
    "care_timeliness": 0.8,
    "plan_completion": 0.7,
    "bottom_line_coverage": 0.6,
}


def ca_file_problem(path: Path) -> str | None:
    """Why ``path`` is no PEM file of certificate authorities (missing, unreadable, or
    without a certificate OpenSSL accepts), or None: checked when the settings are read, so
    that a bad ``BANGFU_WEBHOOK_CA_FILE`` stops the start instead of every delivery."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(path))
    except (ssl.SSLError, ValueError):  # before OSError: an SSLError is one
        return _("not a PEM file of CA certificates")
    except FileNotFoundError:
        return _("no such file")
    except OSError as exc:  # a folder, no permission
        return exc.strerror or type(exc).__name__
    return None


class Settings(BaseSettings):
    """Service settings. Every field is ``BANGFU_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="BANGFU_", env_file=None, extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///bangfu.db",
        description="SQLAlchemy async URL; sqlite+aiosqlite or postgresql+asyncpg.",
    )
    database_schema: str | None = Field(
        default=None,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL only: the schema (search_path) holding Bangfu's tables.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    language: str = Field(
        default="zh",
        description="The language of messages when a request's Accept-Language names none "
        "Bangfu speaks, and of the commands: zh (Simplified Chinese) or en.",
    )
    profile: Profile = Profile.DEVELOPMENT
    secret_key: SecretStr | None = Field(
        default=None,
        description="Base64 of 32 random bytes; wins over secret_key_file when set.",
    )
    secret_key_file: Path = Field(
        default=Path("bangfu.key"),
        description="Key file created on first start with mode 0600 when no secret_key is set.",
    )
    demo: bool = Field(
        default=False,
        description="Demo mode (set by `bangfu serve --demo`): demo users may log in.",
    )
    plugins: str | None = Field(
        default=None,
        description="Which installed plugins (entry points of the group bangfu.plugins) are "
        "enabled, by name, separated by commas (education,medical,befriending): unset enables "
        "every installed one, an empty value none (core alone). A name that is not installed "
        "stops the start.",
    )
    token_ttl_minutes: int = Field(default=8 * 60, ge=1)
    token_idle_minutes: int = Field(default=60, ge=1)
    # Login throttling (bangfu.core.security.auth): growing delays, per account and address.
    login_free_failures: int = Field(
        default=5,
        ge=1,
        description="Failed logins of one user name from one address tolerated within the "
        "window; beyond them, each next attempt must wait.",
    )
    login_address_free_failures: int = Field(
        default=20,
        ge=1,
        description="Failed logins from one address, whatever the user names, tolerated "
        "within the window; beyond them, each next attempt from it must wait.",
    )
    login_window_minutes: int = Field(
        default=15, ge=1, description="How long a failed login is remembered."
    )
    login_delay_seconds: float = Field(
        default=1,
        gt=0,
        le=3600,
        description="The first wait beyond the tolerated failures; it doubles with every "
        "further attempt.",
    )
    login_max_delay_minutes: int = Field(default=15, ge=1, description="The longest wait.")
    max_page_size: int = Field(default=100, ge=1, le=1000)
    sql_echo: bool = False
    stored_bottom_line: bool = Field(
        default=True,
        description="Keep every person's bottom-line verdicts stored (core_bottom_line_verdict), "
        "judged again in the transaction of every write that changes their inputs "
        "(bangfu.core.bottomline.stored). Off: nothing is stored or kept current.",
    )
    bottom_line_tally: bool = Field(
        default=True,
        description="bottomLineSummary reads the counts that triggers keep per area, indicator "
        "and status (core_bottom_line_tally). Off: it counts the stored verdicts with one "
        "GROUP BY over the area (same answers, slower at city scale).",
    )
    assessment_counts: bool = Field(
        default=True,
        description="The assessment's figures (numerators, denominators, scores, ranks, "
        "eligibility) from SQL counts per unit and indicator, bottom-line coverage from the "
        "stored verdicts (bangfu.core.assessment.counts); the lists behind the figures are "
        "built only when asked for (the items field, the workbook). Off: every figure is "
        "counted from its list, built in full for every request; same answers, slower.",
    )
    fast_path: bool = Field(
        default=True,
        description="The fast path: plain leaf fields and direct resolvers skip "
        "graphql-core's and Strawberry's per-field machinery (bangfu.schema.execution), and pages "
        "load their nested data level by level before execution (bangfu.schema.prefetch). Off: "
        "plain Strawberry execution with DataLoaders, same answers, slower.",
    )

    compiled: bool = Field(
        default=True,
        description="Compiled execution: a query's root fields over the registry (persons, "
        "households, person, household) run as a plan of one or two SQL statements that "
        "build the answer's JSON in the database (bangfu.schema.compiled); `bangfu explain` "
        "shows a document's plan. A root field the planner cannot compile, or one whose "
        "answer would carry an error, runs on the ordinary path. Off: every field through "
        "the ordinary path, same answers, slower.",
    )

    # Transport and query-cost limits (see SECURITY.md: "Transport", "Query cost").
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    max_roster_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="Largest roster file accepted by POST /import/roster (413 above).",
    )
    # What a roster file may hold (docs/import.md, "Limits"): checked before a workbook's
    # sheet is materialised, and again by the reader process that materialises it.
    max_roster_rows: int = Field(
        default=50_000,
        ge=10,
        description="Last sheet row (or CSV line) a roster may use, its header included.",
    )
    max_roster_columns: int = Field(
        default=100, ge=20, le=16_384, description="Last column a roster may use."
    )
    max_roster_cell_chars: int = Field(
        default=2_000, ge=100, description="Most characters one roster cell may hold."
    )
    max_roster_unpacked_bytes: int = Field(
        default=100 * 1024 * 1024,
        ge=1024 * 1024,
        description="Most bytes a workbook's parts may unpack to, together.",
    )
    roster_reader_memory_mb: int = Field(
        default=1024,
        ge=256,
        description="Address space of the process that reads a workbook; it is killed above.",
    )
    roster_reader_seconds: int = Field(
        default=120,
        ge=5,
        description="CPU seconds the workbook reader may use (and twice that in wall time).",
    )
    roster_import_wait_seconds: int = Field(
        default=120,
        ge=1,
        description="How long an import waits for another one to finish before it answers "
        "a retryable conflict (409).",
    )
    roster_outside_area_per_file: int = Field(
        default=10,
        ge=0,
        description="Most rows of one roster file that may be answered 'registered outside "
        "your area'; a file naming more is refused without saying which.",
    )
    roster_outside_area_per_day: int = Field(
        default=50,
        ge=0,
        description="Most such answers one user gets per day (Asia/Shanghai), over all files.",
    )
    max_json_depth: int = Field(
        default=64, ge=4, le=1000, description="Deepest JSON nesting of a request body (400)."
    )
    max_query_depth: int = Field(default=12, ge=1, description="Deepest GraphQL selection.")
    max_aliases: int = Field(default=30, ge=0, description="Aliases per document.")
    max_tokens: int = Field(default=2000, ge=10, description="Tokens per GraphQL document.")
    max_directives: int = Field(default=50, ge=0, description="Directive uses per document.")
    max_query_cost: int = Field(
        default=50_000,
        ge=1,
        description="Static cost budget: each field costs 1; a field with `first: n` "
        "multiplies the cost of its selection by n.",
    )
    max_scan_cost: int = Field(
        default=600_000,
        ge=1,
        description="Scan cost budget: what the filters and whole-area fields of a document "
        "read, priced by the persons of the area they read (bangfu.schema.scan_cost). About what "
        "a 2-core server reads in 20 s, so that a request within it ends within the time "
        "limit: the bottom-line summary of a county of 20,000 persons costs about 500,000.",
    )
    area_size_refresh_seconds: float = Field(
        default=300,
        gt=0,
        description="How old the per-region person counts that price scans may get.",
    )

    # Bounds on concurrent work, per worker process (bangfu.core.admission).
    max_requests_per_actor: int = Field(
        default=8, ge=1, description="GraphQL requests one actor may have running at once."
    )
    max_subscriptions_per_actor: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Subscriptions one actor may have open at once, over all their "
        "WebSocket connections (each reads the database every poll interval).",
    )
    expensive_query_cost: int = Field(
        default=10_000,
        ge=1,
        description="A request whose static and scan cost together reach this is expensive.",
    )
    max_expensive_per_actor: int = Field(
        default=2, ge=1, description="Expensive requests one actor may have running at once."
    )
    max_expensive_per_address: int = Field(
        default=4,
        ge=1,
        description="Expensive requests one client address may have running at once.",
    )
    expensive_lane_size: int = Field(
        default=4,
        ge=1,
        description="Expensive requests running at once in all; keep it below the "
        "database pool's size, so that connections stay free for the others.",
    )
    expensive_lane_wait_seconds: float = Field(
        default=5,
        ge=0,
        description="How long an expensive request waits for a place in the lane (then 429).",
    )
    database_pool_size: int = Field(
        default=10, ge=1, description="Connections each worker process keeps open."
    )
    database_max_overflow: int = Field(
        default=10, ge=0, description="Connections a worker may open beyond the pool's size."
    )
    database_pool_timeout_seconds: float = Field(
        default=10,
        gt=0,
        description="How long a request waits for a free connection before it fails.",
    )
    max_search_length: int = Field(
        default=100,
        ge=18,
        le=10_000,
        description="Longest search text (a name part, a prefix) a filter takes; longer is "
        "BAD_USER_INPUT. Names have at most 100 characters, ID numbers 18.",
    )
    max_text_length: int = Field(
        default=10_000,
        ge=4000,
        le=100_000,
        description="Longest string any other argument or input field takes (BAD_USER_INPUT "
        "above); what is stored is held to its column's length too.",
    )
    log_repeat_interval_seconds: float = Field(
        default=10,
        ge=0,
        description="A failure (the database unavailable, an unexpected error at one place) "
        "is logged with its traceback once per this many seconds; repeats are counted and "
        "the count logged with the next one. 0 logs every occurrence.",
    )
    request_timeout_seconds: float = Field(
        default=30, gt=0, description="A GraphQL request running longer is cancelled."
    )
    idempotency_retention_hours: int = Field(
        default=24, ge=1, description="How long a mutation's Idempotency-Key is remembered."
    )
    jobs_check_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="How often each worker (bangfu worker) checks which periodic jobs are due.",
    )
    graphiql: bool | None = Field(default=None, description="None: on in development only.")
    introspection: bool | None = Field(default=None, description="None: on in development only.")
    suggestions: bool | None = Field(
        default=None, description="'Did you mean ...' hints; None: on in development only."
    )
    # Persisted documents (bangfu.persisted; docs/api.md, "Persisted documents").
    persisted_queries: bool | None = Field(
        default=None,
        description="Apollo's automatic persisted queries: a document sent once with its "
        "SHA-256 is kept, and later requests may send the hash alone. None: on in "
        "development only (never where trusted documents are on).",
    )
    persisted_queries_cache_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description="Most bytes of documents each server process keeps for automatic "
        "persisted queries (in memory; the least recently used are forgotten first).",
    )
    subscriptions: bool | None = Field(
        default=None,
        description="GraphQL subscriptions (`careEventUpdates`) over WebSocket, protocol "
        "graphql-transport-ws, at /graphql. None: on in development only.",
    )
    websocket_origins: list[str] = Field(
        default_factory=list,
        description="Web origins beside the service's own whose pages may open a WebSocket "
        'to /graphql, JSON: ["https://portal.linfen.example"]. A handshake from any other '
        "Origin is refused (403); a client that sends no Origin (not a browser) is not.",
    )
    subscription_poll_seconds: float = Field(
        default=2.0,
        ge=0.05,
        le=60,
        description="How often a subscription looks for changes (each look checks the "
        "subscriber's token again).",
    )
    trusted_documents: bool | None = Field(
        default=None,
        description="Only the documents registered with `bangfu documents add` run, for "
        "the client (or the users' applications) they are registered for; logging in and "
        "out need none. None: on in production only.",
    )

    # The care work (R4-R7): deadlines, staleness, load.
    care_sla: dict[CareEventKind, CareSla] = Field(
        default_factory=lambda: dict(DEFAULT_CARE_SLA),
        description='Deadline per care-event kind, JSON: {"SCHOOL_DROPOUT": {"days": 5, '
        '"working_days": true}}; kinds not given keep their default.',
    )
    care_due_soon_days: int = Field(
        default=1, ge=0, description="An open event is DUE_SOON this many days before its deadline."
    )
    care_reminder_working_days: int = Field(
        default=1,
        ge=0,
        le=30,
        description="The daily job notify.care-reminders reminds the official of an open care "
        "event this many working days before its deadline (0: on the deadline day).",
    )
    holiday_events_lead_days: int = Field(
        default=14,
        ge=0,
        le=300,
        description="The daily job care.holiday-events raises a major holiday's care events "
        "this many days before the holiday (bangfu worker).",
    )
    care_holidays: list[Holiday] = Field(
        default_factory=lambda: list(CARE_HOLIDAYS),
        description="The major holidays (重大节日) whose care events count, JSON: "
        '["SPRING_FESTIVAL", "MID_AUTUMN", "NATIONAL_DAY"]. A HOLIDAY care event must '
        "fall on or shortly before one of them; the holiday job and careHolidayEventsRaise "
        "raise only these.",
    )
    care_holiday_days_before: int = Field(
        default=30,
        ge=0,
        le=90,
        description="A HOLIDAY care event may fall this many days before a major holiday's "
        "first day (the visits before the festival), or on one of its days.",
    )
    five_knowns_stale_days: int = Field(
        default=365, ge=1, description="A five-knowns item verified longer ago is stale."
    )
    pairing_overload_threshold: int = Field(
        default=5, ge=1, description="Officials paired with more persons than this are overloaded."
    )

    # The bottom line and the annual assessment (R3, R9): see docs/indicators.md.
    eat_well_monthly_yuan: decimal.Decimal = Field(
        default=decimal.Decimal("500"),
        ge=0,
        description="EAT_WELL: the monthly allowance (own, or the household's per member) "
        "a person in hardship must receive at least, in yuan.",
    )
    pairing_categories: list[str] = Field(
        default_factory=lambda: list(PAIRING_CATEGORIES),
        description="Categories whose holders must each have a paired official (一包一): "
        "SOMEONE_IN_CHARGE and pairing coverage. Dibao is a household's support, so by "
        "default its holders are not paired one by one.",
    )
    report_link_minutes: int = Field(
        default=10, ge=1, le=24 * 60, description="How long a reportLink download link works."
    )
    assessment_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_ASSESSMENT_WEIGHTS),
        description="Weight of each assessment indicator in the score, JSON: "
        '{"screening_coverage": 1, ...}; indicators not given keep their default, '
        "an indicator with no weight is shown but not scored.",
    )
    assessment_thresholds: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_ASSESSMENT_THRESHOLDS),
        description="Lowest share (0 to 1) of each indicator a unit may have and still be "
        "eligible for commendation (不得纳入评先树优 below it), JSON like the weights.",
    )

    # Webhooks (core/webhooks, issue 22): see docs/care.md#webhooks and docs/security.md.
    webhook_allowed_networks: list[str] = Field(
        default_factory=list,
        description="Networks beside the public internet that webhook endpoints may be on in "
        'the production profile, JSON: ["10.20.0.0/16"] (a partner on the government '
        "intranet). Loopback, link-local, multicast and reserved addresses stay refused.",
    )
    webhook_ca_file: Path | None = Field(
        default=None,
        description="A PEM file of certificate authorities that webhook deliveries trust "
        "beside the usual ones (a government-internal CA of intranet partners). Unset: the "
        "usual ones alone. Read once when a worker starts sending.",
    )

    @field_validator("language")
    @classmethod
    def _spoken_language(cls, value: str) -> str:
        spoken = i18n.normalise(value)
        if spoken is None:
            raise ValueError(
                _(
                    "Bangfu speaks {languages}, not {given}",
                    languages=", ".join(i18n.LANGUAGES),
                    given=repr(value),
                )
            )
        return spoken

    @field_validator("pairing_categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(ALL_CATEGORIES))
        if unknown:
            raise ValueError(_("unknown categories {categories}", categories=", ".join(unknown)))
        return value

    @field_validator("assessment_weights")
    @classmethod
    def _complete_weights(cls, value: dict[str, float]) -> dict[str, float]:
        if any(weight < 0 for weight in value.values()):
            raise ValueError(_("assessment weights must not be negative"))
        return {**DEFAULT_ASSESSMENT_WEIGHTS, **value}

    @field_validator("assessment_thresholds")
    @classmethod
    def _complete_thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        if any(not 0 <= threshold <= 1 for threshold in value.values()):
            raise ValueError(_("assessment thresholds are shares between 0 and 1"))
        return {**DEFAULT_ASSESSMENT_THRESHOLDS, **value}

    @field_validator("websocket_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        from strawberry.http.websocket_origin import normalize_allowed_origins

        for text in value:
            try:
                if text.strip() == "*":
                    raise ValueError(text)
                normalize_allowed_origins([text])
            except ValueError:
                raise ValueError(
                    _(
                        "{origin} is not a web origin (like https://portal.linfen.example)",
                        origin=repr(text),
                    )
                ) from None
        return value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for text in value:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ValueError(
                    _("{network} is not a network (like 10.20.0.0/16)", network=repr(text))
                ) from None
        return value

    @field_validator("webhook_ca_file")
    @classmethod
    def _certificate_authorities(cls, value: Path | None) -> Path | None:
        if value is not None:
            problem = ca_file_problem(value)
            if problem is not None:
                raise ValueError(
                    _(
                        "BANGFU_WEBHOOK_CA_FILE {path}: {problem}",
                        path=str(value),
                        problem=problem,
                    )
                )
        return value

    @field_validator("care_sla")
    @classmethod
    def _complete_sla(cls, value: dict[CareEventKind, CareSla]) -> dict[CareEventKind, CareSla]:
        return {**DEFAULT_CARE_SLA, **value}

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                _("database_url must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
            )
        return value

    @property
    def enabled_plugins(self) -> list[str] | None:
        """The names ``plugins`` enables, sorted and without duplicates; None when unset
        (every installed plugin)."""
        if self.plugins is None:
            return None
        return sorted({name.strip() for name in self.plugins.split(",") if name.strip()})

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_development(self) -> bool:
        return self.profile is Profile.DEVELOPMENT

    @property
    def graphiql_enabled(self) -> bool:
        return self.is_development if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return self.is_development if self.introspection is None else self.introspection

    @property
    def suggestions_enabled(self) -> bool:
        return self.is_development if self.suggestions is None else self.suggestions

    @property
    def subscriptions_enabled(self) -> bool:
        return self.is_development if self.subscriptions is None else self.subscriptions

    @property
    def trusted_documents_enabled(self) -> bool:
        if self.trusted_documents is None:
            return not self.is_development
        return self.trusted_documents

    @property
    def persisted_queries_enabled(self) -> bool:
        if self.trusted_documents_enabled:
            return False  # documents are registered by administrators only
        return self.is_development if self.persisted_queries is None else self.persisted_queries
