"""Settings from the environment, validated once at start.

Every setting of docs/configuration.md (bot part) lives here so a typo in a URL or a
port fails at start with one clear message naming the variable, instead of an
obscure error the first time a learner submits.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./torchdojo.sqlite3"


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable."""


def normalize_database_url(url: str) -> str:
    """Map the URLs people paste (``postgres://``, ``postgresql://``, ``sqlite:///``)
    to the async drivers the bot uses; reject anything else with a reason."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"{url!r} is not a URL (expected e.g. postgresql://user@host/db)")
    base = scheme.split("+", 1)[0].lower()
    if base in ("postgres", "postgresql"):
        return f"postgresql+asyncpg://{rest}"
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    raise ValueError(f"unsupported database {scheme!r}: use sqlite:/// or postgresql://")


def _http_url(value: str | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ValueError(f"{name} must be an http(s) URL with a host, got {value!r}")
    return value


class Settings(BaseSettings):
    """All bot settings; names are the environment variables of docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    grader_url: str | None = Field(None, alias="GRADER_URL")
    # Without GRADER_URL: the bot's own grader process (default), or the pool
    # inside the bot's process (one process; slower chat under load).
    grader_in_process: bool = Field(False, alias="TORCHDOJO_GRADER_IN_PROCESS")
    discord_token: str | None = Field(None, alias="DISCORD_TOKEN")
    discord_api_base: str = Field("https://discord.com/api/v10", alias="DISCORD_API_BASE")
    discord_gateway_url: str | None = Field(None, alias="DISCORD_GATEWAY_URL")
    slack_bot_token: str | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    port: int = Field(8080, alias="PORT", ge=1, le=65535)
    dashboard_url: str | None = Field(None, alias="DASHBOARD_URL")
    dashboard_secret: str | None = Field(None, alias="DASHBOARD_SECRET", repr=False)
    # Grading dispatch (README "Scaling"): the lanes this process grades (all,
    # none, or e.g. "quick,heavy") and how many of each at once ("quick=8,heavy=1").
    lanes: str | None = Field(None, alias="TORCHDOJO_LANES")
    lane_slots: str | None = Field(None, alias="TORCHDOJO_LANE_SLOTS")

    @field_validator("database_url", mode="before")
    @classmethod
    def _db(cls, v: object) -> str:
        if v is None or (isinstance(v, str) and not v.strip()):
            return DEFAULT_DATABASE_URL
        return normalize_database_url(str(v))

    @field_validator("grader_url")
    @classmethod
    def _grader(cls, v: str | None) -> str | None:
        return _http_url(v, "GRADER_URL")

    @field_validator("lanes")
    @classmethod
    def _lanes(cls, v: str | None) -> str | None:
        from bot.core.lanes import parse_lanes

        parse_lanes(v)
        return v

    @field_validator("lane_slots")
    @classmethod
    def _lane_slots(cls, v: str | None) -> str | None:
        from bot.core.lanes import LaneSlots

        LaneSlots.parse(v)
        return v

    @field_validator("discord_api_base", "discord_gateway_url")
    @classmethod
    def _discord(cls, v: str | None) -> str | None:
        return _http_url(v, "DISCORD_API_BASE/DISCORD_GATEWAY_URL")

    @field_validator("slack_api_url")
    @classmethod
    def _slack(cls, v: str) -> str:
        v = _http_url(v, "SLACK_API_URL") or "https://slack.com/api/"
        if not v.endswith("/"):
            raise ValueError("SLACK_API_URL must end with '/' (Slack's Web API base)")
        return v

    @field_validator("dashboard_url")
    @classmethod
    def _dashboard_url(cls, v: str | None) -> str | None:
        v = _http_url(v, "DASHBOARD_URL")
        if v and v.split("://", 1)[0] not in ("http", "https"):
            raise ValueError(f"DASHBOARD_URL must be an http(s) URL, got {v!r}")
        return v.rstrip("/") if v else None

    @field_validator("dashboard_secret")
    @classmethod
    def _dashboard_secret(cls, v: str | None) -> str | None:
        """It signs sign-in links and sessions: a short one could be guessed offline."""
        if v is None or v == "":
            return None
        if len(v) < 32:
            raise ValueError("DASHBOARD_SECRET must be at least 32 characters "
                             "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        return v

    def require(self, *names: str) -> None:
        """Fail with one message listing every missing variable an adapter needs."""
        missing = [n for n in names if not getattr(self, n.lower(), None)]
        if missing:
            raise ConfigError("missing setting(s): " + ", ".join(missing))


def load_settings(**overrides: object) -> Settings:
    """Read the environment; raise :class:`ConfigError` naming each bad variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "settings"
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"  {loc.upper()}: {msg}")
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None
    if not settings.grader_url:  # the bot starts its own grader: its TORCHDOJO_* settings too
        from grader.limits import SettingsError, load_grader_settings

        try:
            load_grader_settings()
        except SettingsError as exc:
            raise ConfigError(str(exc)) from None
    return settings
