"""One typed settings object, loaded from config.yaml with environment overrides.

Every setting is a typed field with a default and a help line (``description``);
config.yaml only overrides. An unknown key or a bad value stops with a message naming
the key and what is allowed (`ConfigError`). Secrets are never written in the file:
they are references to the environment, ``{"$env": "NAME"}``, resolved by the shell
when a library needs them.

Where the file comes from: ``--config PATH``, else ``$VEILLE_CONFIG``, else
``./config.yaml``. Environment overrides, applied after the file:

- ``VEILLE_<KEY>`` for a top-level key (``VEILLE_DATABASE_URL``, ``VEILLE_DATA_DIR``);
- ``VEILLE_<SECTION>__<KEY>`` for a key in a section, e.g. ``VEILLE_WATCH__MIN_HOST_GAP=5``
  or ``VEILLE_WEB__PORT=8080``. Values are read as YAML scalars (``true``, ``5``, ``2.5``).
"""

from __future__ import annotations

import os
import re
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

THEMES: tuple[str, ...] = ("social_education", "environment", "public_space")
ENV_PREFIX = "VEILLE_"
# VEILLE_* variables that are not settings overrides.
RESERVED_ENV = {"VEILLE_CONFIG"}


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and what to do."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SecretRef(BaseModel):
    """A secret given as a reference to an environment variable: ``{"$env": "NAME"}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)
    env: str = Field(alias="$env", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    def resolve(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The secret's value, or None when the variable is not set."""
        return (os.environ if environ is None else environ).get(self.env)

    def require(self, what: str, environ: Mapping[str, str] | None = None) -> str:
        value = self.resolve(environ)
        if not value:
            raise ConfigError(f"{what}: the environment variable {self.env} is not set; "
                              f"export {self.env}=... before running veille")
        return value


class OutletType(str, Enum):
    national = "national"
    regional = "regional"
    local = "local"
    institutional = "institutional"
    independent = "independent"


class PageRules(Section):
    """How to read items from an HTML listing page (kind ``page``).

    Each rule is a CSS selector, or an XPath when it starts with ``/``, ``./`` or ``(``.
    ``title``, ``link`` and ``date`` are evaluated relative to each ``item`` node.
    """

    item: str = Field(description="Selector of one item on the listing page.")
    title: str = Field(description="Selector of the title inside an item.")
    link: str = Field(description="Selector of the link (an <a> or its @href) inside an item.")
    date: str | None = Field(None, description="Selector of the date inside an item (optional).")
    date_format: str | None = Field(
        None, description="strptime format of the date text; by default it is guessed.")


class SourceConfig(Section):
    """One source: a feed (RSS, Atom, JSON Feed) or an HTML listing page."""

    name: str = Field(min_length=1, max_length=200, description="Unique name of the source.")
    url: str = Field(description="Feed URL, or listing page URL for kind `page`.")
    kind: Literal["feed", "page"] = Field("feed", description="`feed` or `page`.")
    language: str = Field("fr", pattern=r"^[a-z]{2}$", description="ISO 639-1 language code.")
    outlet_type: OutletType = Field(description="national, regional, local, institutional or independent.")
    enabled: bool = Field(True, description="Poll this source.")
    rules: PageRules | None = Field(None, description="Listing-page rules; required for kind `page`.")
    block: list[str] = Field(
        default_factory=list,
        description="Regular expressions; an item whose URL or title matches one is dropped "
                    "before its article is fetched (e.g. `/sport/`).")
    fetch_articles: bool = Field(True, description="Fetch each new item's article page.")
    user_agent: str | None = Field(None, description="User-Agent override for this source.")
    cookie: SecretRef | None = Field(
        None, description="Cookie header for this source (e.g. a consent cookie), as an environment reference.")
    notes: str | None = Field(None, description="Free text for the operator.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("block")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _rules_for_pages(self) -> "SourceConfig":
        if self.kind == "page" and self.rules is None:
            raise ValueError("a source of kind `page` needs `rules` (item, title, link, date)")
        return self


class WatchSettings(Section):
    """The crawler: HTTP client, polling schedule, politeness."""

    user_agent: str = Field(
        "veille/{version} (+{contact_url})",
        description="User-Agent header; `{version}` and `{contact_url}` are filled in.")
    contact_url: str = Field(
        "https://github.com/assemblee-citoyenne-paris/veille",
        description="Where a site owner can learn who crawls them and how to reach us.")
    allow_private_networks: bool = Field(
        False, description="Allow loopback and private addresses (tests and the demo only).")
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to open a connection.")
    read_timeout: float = Field(20.0, gt=0, description="Seconds to wait for the next bytes.")
    total_timeout: float = Field(30.0, gt=0, description="Hard limit in seconds for a whole request.")
    max_feed_bytes: int = Field(15 * 1024 * 1024, gt=0, description="Size cap of a feed or listing page.")
    max_article_bytes: int = Field(5 * 1024 * 1024, gt=0, description="Size cap of an article page.")
    max_redirects: int = Field(5, ge=0, le=20, description="Redirect hops before giving up.")
    min_host_gap: float = Field(2.0, ge=0, description="Minimum seconds between two requests to one host.")
    concurrency: int = Field(8, ge=1, le=64, description="Requests in flight at once (one per host).")
    min_interval: int = Field(300, ge=10, description="Shortest polling interval of a source, seconds.")
    max_interval: int = Field(3600, ge=60, description="Longest polling interval of a source, seconds.")
    max_server_hint: int = Field(
        7200, ge=60, description="Cap, seconds, on `<ttl>`/Cache-Control hints used as a lower bound.")
    jitter: float = Field(0.1, ge=0, le=0.5, description="Random spread of each next check (fraction).")
    unconditional_every: int = Field(
        43200, ge=600, description="Seconds between forced fetches without validators.")
    backoff_base: int = Field(300, ge=10, description="First retry delay after a failure, seconds.")
    backoff_max: int = Field(86400, ge=60, description="Longest retry delay after failures, seconds.")
    retry_after_default: int = Field(
        3600, ge=10, description="Delay, seconds, after a 429/503 without a usable Retry-After.")
    disable_after_days: int = Field(30, ge=1, description="Days of continuous failure before a source is disabled.")
    tick_seconds: int = Field(60, ge=5, description="Interval of the scheduler's polling tick.")
    tick_deadline: int = Field(
        50, ge=5, description="Seconds a tick may spend before leaving the rest to the next one.")
    batch_size: int = Field(100, ge=1, description="Due sources taken per tick.")
    robots_ttl: int = Field(86400, ge=60, description="Seconds a robots.txt stays cached.")
    article_retries: int = Field(5, ge=0, description="Attempts to fetch an article before keeping the summary.")

    @model_validator(mode="after")
    def _interval_order(self) -> "WatchSettings":
        if self.min_interval > self.max_interval:
            raise ValueError("min_interval must not exceed max_interval")
        return self


class PipelineSettings(Section):
    """Processing stages run on each new item."""

    stages: list[Literal["extract", "dedupe", "enrich", "classify", "cluster"]] = Field(
        default_factory=lambda: ["extract", "dedupe", "enrich", "classify", "cluster"],
        description="Stages in the order they run.")
    batch_size: int = Field(64, ge=1, description="Items committed together.")
    workers: int = Field(0, ge=0, le=32,
                         description="Worker processes for extraction and NLP; 0 means one per core.")
    min_text_chars: int = Field(
        250, ge=0, description="Below this many characters an article is flagged short (paywall, consent wall).")
    near_duplicate_threshold: float = Field(
        0.5, gt=0, le=1, description="Jaccard similarity of 5-word shingles (MinHash) from which an item is "
                                     "a copy of another; 0.5 finds the demo corpus's 8 wire copies and nothing else.")
    duplicate_window_hours: int = Field(72, ge=1, description="Window to look for copies, hours.")
    story_threshold: float = Field(
        0.8, gt=0, le=2, description="Cosine distance under which items join one story (average linkage); "
                                     "0.8 was tuned on the demo corpus's labelled stories.")
    story_window_days: int = Field(7, ge=1, description="Sliding window of story grouping, days.")
    story_continuity: float = Field(
        0.4, gt=0, le=1, description="Centroid similarity to link a story to last week's.")
    languages: list[str] = Field(
        default_factory=list,
        description="Languages kept (ISO 639-1, e.g. [fr, en]); items in others are dropped with the "
                    "reason `language:xx`. Empty keeps every language.")
    min_place_score: float = Field(
        1.0, ge=0, description="Evidence score an arrondissement needs to be attached to an item "
                               "(an explicit mention scores 2, a street or station 1, a weak name 0.5).")
    wire_agencies: list[str] = Field(
        default_factory=lambda: ["AFP", "Reuters", "AP", "APP"],
        description="Wire agencies whose signature (« (AFP) », « avec AFP », by-line) marks a dispatch.")

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not re.fullmatch(r"[a-z]{2}", code):
                raise ValueError(f"{code!r} is not an ISO 639-1 language code (e.g. fr)")
        return value


class ModelSettings(Section):
    """The theme classifier."""

    retrain_min_labels: int = Field(
        20, ge=1, description="New facilitator labels that trigger a retrain by the scheduler.")
    keep_versions: int = Field(5, ge=1, description="Trained models kept in the data directory.")


class GroupSettings(Section):
    """A working group and its weekly review."""

    title: str = Field(description="Name of the group as members know it.")
    recipients: list[str] = Field(default_factory=list, description="E-mail addresses of the review.")
    auto_publish: bool = Field(False, description="Publish the review without a facilitator at build time.")

    @field_validator("recipients")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", address):
                raise ValueError(f"{address!r} is not an e-mail address")
        return value


def _default_groups() -> dict[str, GroupSettings]:
    return {
        "social_education": GroupSettings(title="Social – Éducation"),
        "environment": GroupSettings(title="Environnement"),
        "public_space": GroupSettings(title="Espace public"),
    }


class DigestSettings(Section):
    """The weekly press reviews."""

    build_weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = Field(
        "monday", description="Day the scheduler builds last week's reviews.")
    build_hour: int = Field(7, ge=0, le=23, description="Hour (Europe/Paris) of the weekly build.")
    top_stories: int = Field(3, ge=1, le=10, description="Stories shown in « À la une ».")
    max_stories: int = Field(10, ge=1, description="Stories told in full in one review; the rest go to « En bref ».")
    max_brief: int = Field(40, ge=0, description="Lines at most in « En bref » (the rest are counted).")
    history_weeks: int = Field(
        8, ge=2, le=52, description="Weeks of the coverage chart and of the usual coverage behind « Angles morts ».")
    public: bool = Field(True, description="Published reviews are public; false means members only.")
    base_url: str = Field("http://127.0.0.1:8000", description="Public address of the web app, for links.")
    groups: dict[str, GroupSettings] = Field(
        default_factory=_default_groups, description="The working groups, by theme key.")

    @field_validator("groups")
    @classmethod
    def _known_groups(cls, value: dict[str, GroupSettings]) -> dict[str, GroupSettings]:
        unknown = sorted(set(value) - set(THEMES))
        if unknown:
            raise ValueError(f"unknown group {unknown[0]!r}; groups are named by theme: {', '.join(THEMES)}")
        return value


class SmtpSettings(Section):
    """Outgoing mail for the reviews."""

    host: str | None = Field(None, description="SMTP server; none means reviews are written to files only.")
    port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    security: Literal["starttls", "ssl", "none"] = Field("starttls", description="starttls, ssl or none.")
    username: str | None = Field(None, description="SMTP user name.")
    password: SecretRef | None = Field(None, description="SMTP password, as an environment reference.")
    sender: str = Field("Veille de l'Assemblée citoyenne <veille@example.org>", description="From: header.")
    timeout: float = Field(30.0, gt=0, description="Seconds before an SMTP operation fails.")
    max_attempts: int = Field(5, ge=1, le=50, description="Attempts to deliver one e-mail before it is marked failed.")
    retry_minutes: int = Field(
        15, ge=1, description="Wait before a retry, in minutes, times the attempts so far.")
    stale_minutes: int = Field(
        60, ge=5, description="A delivery left « sending » this long is reported as interrupted "
                              "(`veille digest send --recover` resends it).")


class WebSettings(Section):
    """The web app and API."""

    host: str = Field("127.0.0.1", description="Address `veille serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `veille serve` listens on.")
    secret_key: SecretRef | None = Field(
        None, description="Key signing sessions; without it one is generated in the data directory.")
    secure_cookies: bool = Field(False, description="Send cookies only over HTTPS (turn on behind TLS).")
    session_hours: int = Field(12, ge=1, description="Hours a login lasts.")
    api_rate_limit: int = Field(120, ge=1, description="API requests per minute per token.")
    login_attempts: int = Field(5, ge=1, description="Failed logins per 15 minutes before throttling.")
    page_size: int = Field(20, ge=5, le=200, description="Search results per page.")
    workers: int = Field(
        1, ge=1, le=32, description="Processes `veille serve` runs (uvicorn workers); more than one uses "
                                    "several cores, since sessions and rate limits live in the database.")
    threads: int = Field(
        8, ge=1, le=20, description="Requests one process handles at once (threads running the handlers; "
                                     "the database pool keeps as many connections open).")


class Settings(Section):
    """Everything veille can be told; see docs/configuration.md."""

    data_dir: Path = Field(Path("data"), description="Where the database, models and outputs live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file `veille.sqlite` in the data directory.")
    timezone: str = Field("Europe/Paris", description="Time zone of weeks, schedules and display.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Logging level.")
    watch: WatchSettings = Field(default_factory=WatchSettings, description="The crawler.")
    pipelines: PipelineSettings = Field(default_factory=PipelineSettings, description="Processing.")
    model: ModelSettings = Field(default_factory=ModelSettings, description="The theme classifier.")
    digests: DigestSettings = Field(default_factory=DigestSettings, description="Weekly reviews.")
    smtp: SmtpSettings = Field(default_factory=SmtpSettings, description="Outgoing mail.")
    web: WebSettings = Field(default_factory=WebSettings, description="Web app and API.")
    sources: list[SourceConfig] = Field(default_factory=list, description="The sources to watch.")

    # Where the settings were read from (not a setting).
    config_path: Path | None = Field(None, exclude=True, description="(internal) file the settings came from.")

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, value: list[SourceConfig]) -> list[SourceConfig]:
        seen: set[str] = set()
        for source in value:
            if source.name in seen:
                raise ValueError(f"two sources are named {source.name!r}; names must be unique")
            seen.add(source.name)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris)") from None
        return value

    @property
    def resolved_data_dir(self) -> Path:
        """The data directory; a relative path is relative to the config file's folder."""
        if self.data_dir.is_absolute() or self.config_path is None:
            return self.data_dir.resolve()
        return (self.config_path.parent / self.data_dir).resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir / 'veille.sqlite'}"


def config_path_from(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> Path:
    """``--config``, else ``$VEILLE_CONFIG``, else ``./config.yaml``."""
    if explicit:
        return Path(explicit)
    if environ.get("VEILLE_CONFIG"):
        return Path(environ["VEILLE_CONFIG"])
    return Path("config.yaml")


def load_settings(path: str | os.PathLike[str] | None = None,
                  environ: Mapping[str, str] | None = None,
                  *, required: bool = False) -> Settings:
    """Read the config file (if it exists) and the environment into one `Settings`.

    ``required`` makes a missing file an error; otherwise defaults apply.
    """
    environ = os.environ if environ is None else environ
    config_path = config_path_from(path, environ)
    raw: dict[str, Any] = {}
    if config_path.exists():
        try:
            loaded = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{config_path}: not valid YAML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{config_path}: cannot be read: {exc.strerror}") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{config_path}: the top level must be a mapping of keys to values")
        raw = loaded
    elif required or path is not None:
        raise ConfigError(f"{config_path}: no such configuration file "
                          f"(give --config PATH, set VEILLE_CONFIG, or create ./config.yaml)")
    raw = apply_environment(raw, environ)
    return settings_from_dict(raw, origin=str(config_path), config_path=config_path.resolve()
                              if config_path.exists() else None)


def settings_from_dict(raw: dict[str, Any], *, origin: str = "settings",
                       config_path: Path | None = None) -> Settings:
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, origin)) from None
    settings.config_path = config_path
    return settings


def apply_environment(raw: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Overlay ``VEILLE_*`` variables on the raw config (see the module docstring)."""
    merged = dict(raw)
    top_keys = {name.upper(): name for name in Settings.model_fields if name != "config_path"}
    for var, value in sorted(environ.items()):
        if not var.startswith(ENV_PREFIX) or var in RESERVED_ENV or var.startswith("VEILLE_TEST_"):
            continue
        rest = var[len(ENV_PREFIX):]
        if "__" in rest:
            section_name, _, key_path = rest.partition("__")
            section = top_keys.get(section_name)
            model = Settings.model_fields[section].annotation if section else None
            if not (isinstance(model, type) and issubclass(model, Section)):
                raise ConfigError(f"{var}: {section_name.lower()!r} is not a section of the settings "
                                  f"(sections: {', '.join(sorted(_sections()))})")
            keys = key_path.lower().split("__")
            if keys[0] not in model.model_fields:
                raise ConfigError(f"{var}: {section}.{keys[0]} is not a setting; "
                                  f"allowed: {', '.join(sorted(model.model_fields))}")
            target = merged.setdefault(section, {})
            if not isinstance(target, dict):
                raise ConfigError(f"{var}: {section} must be a mapping in the config file")
            target = merged[section] = dict(target)
            for key in keys[:-1]:
                target = target.setdefault(key, {})
            target[keys[-1]] = _scalar(value)
        elif rest in top_keys and rest.lower() not in _sections():
            merged[top_keys[rest]] = _scalar(value) if top_keys[rest] not in ("database_url", "data_dir") else value
    return merged


def _sections() -> set[str]:
    return {name for name, field in Settings.model_fields.items()
            if isinstance(field.annotation, type) and issubclass(field.annotation, Section)}


def _scalar(value: str) -> Any:
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    return parsed if isinstance(parsed, (str, int, float, bool, list)) or parsed is None else value


def describe_validation_error(exc: ValidationError, origin: str) -> str:
    """Turn pydantic's report into lines naming each key and what is allowed."""
    lines = [f"{origin}: invalid configuration"]
    for error in exc.errors():
        key = _key_path(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(error["loc"][:-1])
            lines.append(f"  {key}: unknown key" + (f"; allowed here: {', '.join(allowed)}" if allowed else ""))
        elif kind == "missing":
            lines.append(f"  {key}: required")
        else:
            message = error["msg"].removeprefix("Value error, ")
            value = error.get("input")
            shown = "" if isinstance(value, (dict, list)) else f" (got {value!r})"
            lines.append(f"  {key}: {message}{shown}")
    return "\n".join(lines)


def _key_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]" if parts else f"[{part}]"]
        elif part in {"function-after[_rules_for_pages(), SourceConfig]"}:
            continue
        else:
            parts.append(str(part))
    return ".".join(parts) or "(top level)"


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Settings
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = _model_of(field.annotation)
    fields = getattr(model, "model_fields", {})
    return sorted(name for name in fields if name != "config_path")


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def iter_setting_keys(model: type[BaseModel] = Settings, prefix: str = "") -> list[tuple[str, Any]]:
    """Every documented key as a dotted path with its field, for docs and their test."""
    keys: list[tuple[str, Any]] = []
    for name, field in model.model_fields.items():
        if name == "config_path":
            continue
        path = f"{prefix}{name}"
        keys.append((path, field))
        nested = _model_of(field.annotation)
        if nested is not None and nested is not SecretRef:
            child_prefix = f"{path}[]." if name == "sources" else f"{path}.*." if name == "groups" else f"{path}."
            keys.extend(iter_setting_keys(nested, child_prefix))
    return keys


def reference_markdown() -> str:
    """The reference table of every key, for docs/configuration.md (``python -m veille.settings``)."""
    from pydantic_core import PydanticUndefined

    lines = ["| key | type | default | what it does |", "| --- | --- | --- | --- |"]
    for key, field in iter_setting_keys():
        annotation = _type_name(field.annotation)
        if field.default is not PydanticUndefined:
            default = field.default
        elif field.default_factory is not None:
            default = field.default_factory()
        else:
            default = "(required)"
        if isinstance(default, BaseModel) or (isinstance(default, dict) and default
                                              and isinstance(next(iter(default.values())), BaseModel)):
            default = "see below" if isinstance(default, BaseModel) else ", ".join(default)
        elif isinstance(default, Enum):
            default = default.value
        shown = f"`{default}`" if default not in ("(required)", "see below") else default
        description = (field.description or "").replace("|", "\\|")
        lines.append(f"| `{key}` | {annotation} | {shown} | {description} |")
    return "\n".join(lines) + "\n"


def _type_name(annotation: Any) -> str:
    import typing

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if args and origin in (list, dict):
        return f"{origin.__name__} of " + " to ".join(_type_name(a) for a in args)
    if args:  # a union
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + (
            " or null" if type(None) in args else "")
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in annotation)
    if annotation is SecretRef:
        return "`{$env: NAME}`"
    return getattr(annotation, "__name__", str(annotation))


if __name__ == "__main__":
    print(reference_markdown(), end="")
