"""One settings object, read once from the environment (prefix ``PATHWISE_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _user_dir(kind: str) -> Path:
    import platformdirs

    if kind == "data":
        return Path(platformdirs.user_data_dir("pathwise", appauthor=False))
    return Path(platformdirs.user_cache_dir("pathwise", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PATHWISE_", extra="ignore", populate_by_name=True)

    home: Path = Field(default_factory=lambda: _user_dir("data"), description="data dir: store, sessions, feedback")
    cache_dir: Path = Field(default_factory=lambda: _user_dir("cache"), description="derived model files (ONNX)")
    chroma_url: str | None = Field(None, description="use a Chroma server (http://host:port) instead of the embedded store")
    collection: str = "pathwise"
    database_url: str | None = Field(
        None, description="postgresql://… : sessions, the LLM's memory and feedback in PostgreSQL instead of SQLite files in home"
    )
    database_timeout: float = Field(10.0, gt=0, le=300, description="seconds to wait for a database connection or lock")
    database_pool_size: int = Field(10, ge=2, le=200, description="PostgreSQL connections each process may hold")

    openai_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("PATHWISE_OPENAI_API_KEY", "OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=AliasChoices("PATHWISE_OPENAI_BASE_URL", "OPENAI_BASE_URL"))
    model: str = "gpt-4o-mini"
    llm_timeout: float = Field(20.0, gt=0, le=600)
    llm_max_retries: int = Field(2, ge=0, le=10)
    llm_max_steps: int = Field(6, ge=2, le=50)
    offline: bool = False

    max_message_chars: int = Field(4000, ge=100)
    history_turns: int = Field(20, ge=1)
    max_sessions: int = Field(1000, ge=1)
    auth: str | None = Field(None, description="user:pass for the web app's login")
    log_level: str = "WARNING"

    # The web app's HTTP guards (pathwise.ui.security): comma-separated lists in the environment.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost"], description="Host headers the web app answers"
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="other origins (scheme://host:port) whose pages may call the app; none by default"
    )
    rate_limit_per_minute: int = Field(60, ge=1, description="requests that do work (POST…) per client address per minute")
    rate_limit_burst: int = Field(20, ge=1, description="how many of them may come at once")
    max_request_bytes: int = Field(1_000_000, ge=1024, description="largest request body the web app reads")

    @field_validator("chroma_url", "database_url", "openai_base_url", "openai_api_key", "auth", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("a database URL looks like postgresql://user:password@host:5432/dbname")
        return value

    @field_validator("allowed_hosts", "cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _some_host(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one host, e.g. 127.0.0.1,localhost")
        if "*" in value:
            raise ValueError("'*' would answer any Host header: list the host names (a '*.example.org' pattern is fine)")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _explicit_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if "*" in origin:
                raise ValueError("wildcards are not allowed: list each origin, e.g. https://example.org")
            if not origin.startswith(("http://", "https://")) or origin.rstrip("/").count("/") != 2:
                raise ValueError(f"an origin looks like https://host[:port], not {origin!r}")
        return [o.rstrip("/") for o in value]

    @property
    def llm_configured(self) -> bool:
        return not self.offline and self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    from pydantic import ValidationError

    from pathwise.errors import ConfigError

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"bad setting {where.upper()}: {first['msg']}") from None
