"""Loading and validating ``sources.yaml``.

The whole file is checked before any work starts: unknown keys, bad URLs,
bad dates, schedules and time zones, missing report files. Every problem is
reported with its dotted key path (``feeds[3].url``) and the file's path in
one :class:`~tracker.errors.ConfigError`. Relative paths resolve against the
folder holding the config file.

What this module deliberately does not do: read the reports themselves or
touch the network.
"""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from tracker.errors import ConfigError
from tracker.schedule import Schedule, parse_schedule

DEFAULT_CONFIG_NAME = "sources.yaml"
CONFIG_ENV = "TRACKER_CONFIG"


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.strip()


def _schedule(value: str) -> str:
    parse_schedule(value)
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
ScheduleText = Annotated[str, AfterValidator(_schedule)]
TopicText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


MIN_TOKEN_LENGTH = 16


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReportConfig(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    path: Path
    language: str = Field(default="zh", pattern=r"^[a-z]{2}(-[A-Za-z]{2,4})?$")
    since: date | None = None
    editions_dir: Path | None = None  # default: "editions" beside the report
    # Topics the report does not cover; news closer to one is dropped (tracker.match_scope).
    exclude: list[TopicText] = Field(default_factory=list, max_length=20)

    @property
    def output_dir(self) -> Path:
        return self.path.parent

    @property
    def editions_path(self) -> Path:
        return self.editions_dir or self.path.parent / "editions"


class FeedConfig(_Strict):
    name: str = Field(min_length=1)
    url: HttpUrl
    every: ScheduleText | None = None  # faster or slower polling than schedule.refresh
    enabled: bool = True


def _network(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP network such as 10.1.2.0/24") from None
    return value


class FetchConfig(_Strict):
    allow_private_networks: bool = False
    # Private networks trusted one by one (an intranet wiki, a test server),
    # while the rest stay refused.
    allowed_networks: list[Annotated[str, AfterValidator(_network)]] = Field(default_factory=list)
    user_agent: str | None = None
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    total_timeout: float = Field(default=60.0, gt=0)  # a whole request: redirects, robots, body
    stage_timeout: float = Field(default=900.0, gt=0)  # a refresh's fetching of sources, of pages
    max_body_mb: float = Field(default=10.0, gt=0)
    max_redirects: int = Field(default=5, ge=0, le=20)
    concurrency: int = Field(default=128, ge=1, le=1024)
    per_host: int = Field(default=6, ge=1, le=256)
    respect_robots: bool = True
    # New entries one feed may bring in one refresh (the newest; older ones are dropped)
    # and article pages one refresh fetches (the newest; the rest wait for the next).
    max_entries_per_feed: int = Field(default=200, ge=1)
    max_entries_per_run: int = Field(default=2000, ge=1)


class MatchConfig(_Strict):
    threshold: float | None = Field(default=None, ge=0, le=1)
    gone_after: int = Field(default=3, ge=1)  # checks before a dead source gets a suggestion
    gone_after_days: float = Field(default=3.0, ge=0)  # ...and the days those checks must span
    # Days before a cited page whose last check succeeded is fetched again (0: every
    # refresh); failing pages are checked on every refresh (tracker.refresh.recheck).
    cited_recheck_days: float = Field(default=7.0, ge=0)
    # Check each cited sentence against the passage of its page that supports it
    # (tracker.refresh.claim_checks). Off, a changed cited page gets one whole-page
    # "source-changed" suggestion, as before claim checks.
    check_claims: bool = True


class ScheduleConfig(_Strict):
    timezone: str = "UTC"
    refresh: ScheduleText = "every 6h"
    digest: ScheduleText = "mon 08:00"
    misfire_grace_seconds: int = Field(default=3600, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def refresh_schedule(self) -> Schedule:
        return parse_schedule(self.refresh)

    @property
    def digest_schedule(self) -> Schedule:
        return parse_schedule(self.digest)


class DaemonConfig(_Strict):
    listen: str = "127.0.0.1:8765"
    token_env: str = "TRACKER_API_TOKEN"
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @model_validator(mode="after")
    def _token_long_enough(self) -> DaemonConfig:
        # The token is the API's only credential: checked here, at load, so
        # `tracker daemon` refuses a guessable one before it listens.
        token = os.environ.get(self.token_env)
        if token and len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"${self.token_env} holds a token of {len(token)} characters; the control API "
                f"wants at least {MIN_TOKEN_LENGTH} (e.g. python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')"
            )
        return self

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535 or not host:
            raise ValueError(f"{value!r} is not HOST:PORT")
        return value

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


class SmtpConfig(_Strict):
    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    timeout: float = Field(default=30.0, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    retry_backoff: float = Field(default=5.0, ge=0)
    allow_plaintext_auth: bool = False

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return {"ssl": 465, "starttls": 587, "none": 25}[self.security]

    @property
    def credentials_in_clear(self) -> bool:
        """Whether a login would cross the network unencrypted and is not allowed to.

        ``security: none`` with a user name sends the password as plain text;
        that is refused unless the server is on this machine (a loopback
        literal or ``localhost``) or ``allow_plaintext_auth`` says so.
        """
        if self.security != "none" or not self.username or self.allow_plaintext_auth:
            return False
        host = self.host.strip().strip("[]").lower().rstrip(".")
        if host == "localhost":
            return False
        try:
            return not ipaddress.ip_address(host).is_loopback
        except ValueError:
            return True

    @model_validator(mode="after")
    def _password_needs_user(self) -> SmtpConfig:
        if self.password_env and not self.username:
            raise ValueError("password_env is set but username is missing")
        if self.credentials_in_clear:
            raise ValueError(
                f"security is none, so the password would cross the network to {self.host} "
                "in clear: use starttls or ssl, or set allow_plaintext_auth: true"
            )
        return self


_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _address(value: str) -> str:
    if not _ADDRESS.match(value.strip()):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value.strip()


Address = Annotated[str, AfterValidator(_address)]


class EmailConfig(_Strict):
    to: list[Address] = Field(min_length=1)
    from_: Address = Field(alias="from")
    smtp: SmtpConfig | None = None  # none: messages go to state/outbox as .eml files
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DigestConfig(_Strict):
    send_empty: bool = False
    base_url: HttpUrl | None = None  # public address of the daemon's pages, for links
    # A statement "as of" a date (截至…, 目前, latest, rankings) older than this many
    # months is listed once under "statements to re-check" (tracker.claims.dated).
    recheck_after_months: int = Field(default=6, ge=1, le=120)


class DraftConfig(_Strict):
    """An OpenAI-compatible chat-completions server that may improve suggestions' wording.

    Optional: without it every suggestion is drafted offline. The client
    posts to ``{endpoint}/chat/completions``; ``api_key_env`` names the
    environment variable holding the bearer token (none for a local server).
    """

    endpoint: HttpUrl
    model: str = Field(min_length=1)
    api_key_env: str | None = Field(default=None, min_length=1)
    timeout: float = Field(default=30.0, gt=0)  # seconds per call
    max_calls_per_refresh: int = Field(default=20, ge=0)
    monthly_token_budget: int | None = Field(default=None, ge=0)  # None: unlimited

    @field_validator("endpoint")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("model")
    @classmethod
    def _model_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the model name is blank")
        return value.strip()


class StoreConfig(_Strict):
    """Where tracker keeps its state: the SQLite file in ``state_dir`` unless ``url`` is set.

    ``url`` is a libpq URL of a PostgreSQL database shared by every process
    (``postgresql://user@host:5432/tracker``); the password may stay out of it,
    in ``PGPASSWORD`` or ``~/.pgpass``, as libpq reads those. Needs the
    ``postgres`` extra (psycopg).
    """

    url: str | None = None

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError("must be a postgresql:// URL (leave it out for the SQLite file)")
        if not parts.path.strip("/"):
            raise ValueError("names no database (postgresql://host/DATABASE)")
        return value


class Config(_Strict):
    state_dir: Path = Path("state")
    store: StoreConfig = StoreConfig()
    reports: list[ReportConfig] = Field(min_length=1)
    feeds: list[FeedConfig] = Field(default_factory=list)
    watch_cited: bool = True
    fetch: FetchConfig = FetchConfig()
    match: MatchConfig = MatchConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    daemon: DaemonConfig = DaemonConfig()
    email: EmailConfig | None = None
    digest: DigestConfig = DigestConfig()
    draft: DraftConfig | None = None  # none: every suggestion is drafted offline

    # Where the file was read from; set by load_config, not by the YAML.
    source_path: Path = Field(default=Path(DEFAULT_CONFIG_NAME), exclude=True)

    @field_validator("reports", "feeds")
    @classmethod
    def _unique_names(
        cls, items: list[ReportConfig] | list[FeedConfig]
    ) -> list[ReportConfig] | list[FeedConfig]:
        seen: set[str] = set()
        for item in items:
            name = item.id if isinstance(item, ReportConfig) else item.name
            if name in seen:
                raise ValueError(f"{name!r} appears twice")
            seen.add(name)
        return items

    @property
    def database_path(self) -> Path:
        """The SQLite store's file (used unless ``store.url`` names a PostgreSQL database)."""
        return self.state_dir / "tracker.sqlite3"

    @property
    def store_location(self) -> Path | str:
        """What ``open_store`` opens: ``store.url`` when set, else the SQLite file."""
        return self.store.url or self.database_path

    @property
    def outbox_dir(self) -> Path:
        return self.state_dir / "outbox"

    def report(self, report_id: str) -> ReportConfig:
        for report in self.reports:
            if report.id == report_id:
                return report
        raise KeyError(report_id)


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps: dates stay strings for pydantic
    to check, so ``since: 2026-02-31`` is reported against its key instead of
    failing inside the YAML parser."""


# The same loader on libyaml's parser, when PyYAML was built with it: the
# pure-Python parser takes ~0.3 s on a config listing 1,000 feeds, longer than
# polling them. _Loader still parses files libyaml rejects, for its clearer
# error positions.
class _FastLoader(getattr(yaml, "CSafeLoader", _Loader)):  # type: ignore[misc]
    pass


_NO_TIMESTAMPS = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.yaml_implicit_resolvers = _NO_TIMESTAMPS
_FastLoader.yaml_implicit_resolvers = _NO_TIMESTAMPS


def resolve_config_path(explicit: str | os.PathLike[str] | None) -> Path:
    """``--config``, else ``$TRACKER_CONFIG``, else ``./sources.yaml``."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get(CONFIG_ENV):
        return Path(env)
    return Path(DEFAULT_CONFIG_NAME)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read, validate and resolve a config file; raise ConfigError listing every problem."""
    config_path = resolve_config_path(path)
    shown = str(config_path)
    try:
        raw_text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(shown, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(shown, [f"cannot be read: {exc}"]) from None
    try:
        raw = _load_yaml(raw_text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(shown, [f"not valid YAML{at}: {problem}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError(shown, ["the top level must be a mapping of keys"])
    raw.pop("source_path", None)
    return parse_config(raw, config_path)


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_FastLoader)
    except yaml.YAMLError:
        return yaml.load(text, Loader=_Loader)  # raises again, with better positions


def parse_config(raw: dict[str, Any], config_path: Path) -> Config:
    """Validate already-loaded YAML data as if it came from ``config_path``."""
    shown = str(config_path)
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(shown, [_describe(error) for error in exc.errors()]) from None
    config = _resolve_paths(config, config_path.resolve().parent)
    config = config.model_copy(update={"source_path": config_path})
    problems = [
        f"reports[{i}].path: report file {r.path} does not exist"
        for i, r in enumerate(config.reports)
        if not r.path.is_file()
    ]
    if problems:
        raise ConfigError(shown, problems)
    return config


def _resolve_paths(config: Config, base: Path) -> Config:
    def resolve(p: Path) -> Path:
        return p if p.is_absolute() else base / p

    reports = [
        r.model_copy(
            update={
                "path": resolve(r.path),
                "editions_dir": resolve(r.editions_dir) if r.editions_dir else None,
            }
        )
        for r in config.reports
    ]
    return config.model_copy(
        update={
            "state_dir": resolve(config.state_dir),
            "reports": reports,
        }
    )


def _describe(error: Any) -> str:
    """One line per pydantic error: ``feeds[2].url: 'ftp://x' is not an http(s) URL``."""
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            name = "from" if part == "from_" else str(part)
            path += f".{name}" if path else name
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown key"
    elif kind == "missing":
        message = "required key is missing"
    else:
        message = str(error["msg"])
        message = message.removeprefix("Value error, ")
        if "input" in error and kind.endswith(("_parsing", "_type")):
            message += f" (got {error['input']!r})"
    return f"{path or '(top level)'}: {message}"
