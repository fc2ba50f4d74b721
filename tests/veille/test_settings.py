from pathlib import Path

import pytest

from veille.settings import ConfigError, SecretRef, Settings, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_apply_when_no_file_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.watch.min_host_gap == 2.0
    assert settings.resolved_database_url.endswith("data/veille.sqlite")


def test_config_path_comes_from_the_environment_when_not_given(tmp_path: Path) -> None:
    path = write(tmp_path, "log_level: DEBUG\n")
    assert load_settings(environ={"VEILLE_CONFIG": str(path)}).log_level == "DEBUG"


def test_an_explicit_missing_file_is_an_error_that_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_settings(tmp_path / "nope.yaml", environ={})


def test_an_unknown_key_is_named_with_the_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "watch:\n  min_host_gapp: 3\n")
    with pytest.raises(ConfigError) as error:
        load_settings(path, environ={})
    assert "watch.min_host_gapp: unknown key" in str(error.value)
    assert "min_host_gap" in str(error.value).split("allowed here:")[1]


def test_a_bad_value_names_the_key_and_what_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, "watch:\n  max_redirects: 50\nlog_level: LOUD\n")
    with pytest.raises(ConfigError) as error:
        load_settings(path, environ={})
    message = str(error.value)
    assert "watch.max_redirects: Input should be less than or equal to 20 (got 50)" in message
    assert "log_level: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'" in message


def test_a_bad_source_is_named_by_its_position(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - name: A\n    url: ftp://x\n    outlet_type: local\n"
                           "  - name: B\n    url: https://b.example/\n    kind: page\n    outlet_type: weekly\n")
    with pytest.raises(ConfigError) as error:
        load_settings(path, environ={})
    message = str(error.value)
    assert "sources[0].url: must be an http:// or https:// URL" in message
    assert "sources[1].outlet_type" in message


def test_a_listing_page_source_requires_rules(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - name: A\n    url: https://a.example/\n    kind: page\n"
                           "    outlet_type: local\n")
    with pytest.raises(ConfigError, match="needs `rules`"):
        load_settings(path, environ={})


def test_invalid_yaml_is_reported_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "watch: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(path, environ={})


def test_environment_overrides_top_level_and_section_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "watch:\n  min_host_gap: 3\n")
    settings = load_settings(path, environ={
        "VEILLE_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "VEILLE_DATA_DIR": "/srv/veille",
        "VEILLE_WATCH__MIN_HOST_GAP": "5.5",
        "VEILLE_WEB__SECURE_COOKIES": "true",
        "VEILLE_SMTP_PASSWORD": "not an override: a secret referenced from the file",
    })
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.resolved_data_dir == Path("/srv/veille")
    assert settings.watch.min_host_gap == 5.5
    assert settings.web.secure_cookies is True


def test_an_override_of_an_unknown_setting_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="VEILLE_WATCH__GAP: watch.gap is not a setting"):
        load_settings(write(tmp_path, ""), environ={"VEILLE_WATCH__GAP": "1"})


def test_secrets_are_references_to_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "smtp:\n  host: mail.example\n  password: {$env: MAIL_PASSWORD}\n")
    settings = load_settings(path, environ={})
    assert settings.smtp.password == SecretRef(env="MAIL_PASSWORD")
    assert settings.smtp.password.resolve({"MAIL_PASSWORD": "s3cret"}) == "s3cret"
    with pytest.raises(ConfigError, match="MAIL_PASSWORD is not set"):
        settings.smtp.password.require("smtp.password", {})


def test_a_secret_written_in_clear_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="smtp.password"):
        load_settings(write(tmp_path, "smtp:\n  password: hunter2\n"), environ={})


def test_relative_data_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    path = (tmp_path / "etc" / "config.yaml")
    path.write_text("data_dir: ../var\n")
    assert load_settings(path, environ={}).resolved_data_dir == (tmp_path / "var").resolve()


def test_groups_are_named_by_theme(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown group 'culture'"):
        load_settings(write(tmp_path, "digests:\n  groups:\n    culture: {title: Culture}\n"), environ={})


def test_the_project_config_file_is_valid() -> None:
    settings = load_settings(Path(__file__).resolve().parents[2] / "config.yaml", environ={})
    assert len(settings.sources) >= 10
    assert {s.outlet_type.value for s in settings.sources} >= {"national", "regional", "local",
                                                                  "institutional", "independent"}
    assert isinstance(settings, Settings)
