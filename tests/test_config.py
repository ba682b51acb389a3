"""Config loading: every problem names the file and the dotted key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracker.config import CONFIG_ENV, load_config, resolve_config_path
from tracker.errors import ConfigError
from tracker.schedule import CronSchedule, IntervalSchedule, parse_schedule

REPO = Path(__file__).resolve().parents[1]
SEED = Path(__file__).parent / "data" / "reports" / "seed.md"  # frozen: the live report changes


def write_config(tmp_path: Path, data: dict) -> Path:
    (tmp_path / "report.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def minimal() -> dict:
    return {
        "reports": [{"id": "ai", "path": "report.md", "language": "zh", "since": "2026-02-11"}],
        "feeds": [{"name": "Example", "url": "https://example.org/feed.xml"}],
    }


def test_shipped_sources_yaml_is_valid() -> None:
    config = load_config(REPO / "sources.yaml")
    assert config.reports[0].path == REPO / "reports" / "ai-2024-2025" / "report.md"
    assert config.reports[0].since is not None
    assert config.watch_cited is True
    assert len(config.feeds) >= 12
    assert len({f.url for f in config.feeds}) == len(config.feeds)


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, minimal()))
    assert config.reports[0].path == tmp_path / "report.md"
    assert config.state_dir == tmp_path / "state"
    assert config.reports[0].editions_path == tmp_path / "editions"


def test_config_path_comes_from_flag_then_env_then_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "env.yaml"))
    assert resolve_config_path("flag.yaml") == Path("flag.yaml")
    assert resolve_config_path(None) == tmp_path / "env.yaml"
    monkeypatch.delenv(CONFIG_ENV)
    assert resolve_config_path(None) == Path("sources.yaml")


BROKEN = [
    # (change to the minimal config, the key path the message must name)
    (lambda d: d["feeds"][0].update(colour="red"), "feeds[0].colour"),
    (lambda d: d.update(extra_section=1), "extra_section"),
    (lambda d: d["feeds"][0].update(url="ftp://example.org/x"), "feeds[0].url"),
    (lambda d: d["feeds"][0].update(url="not a url"), "feeds[0].url"),
    (lambda d: d["reports"][0].update(since="2026-02-31"), "reports[0].since"),
    (lambda d: d["reports"][0].update(path="missing.md"), "reports[0].path"),
    (lambda d: d["reports"][0].pop("id"), "reports[0].id"),
    (lambda d: d.update(schedule={"refresh": "now and then"}), "schedule.refresh"),
    (lambda d: d.update(schedule={"timezone": "Mars/Olympus"}), "schedule.timezone"),
    (
        lambda d: d.update(fetch={"allow_private_networks": "perhaps"}),
        "fetch.allow_private_networks",
    ),
    (lambda d: d.update(daemon={"listen": "localhost"}), "daemon.listen"),
    (
        lambda d: d.update(fetch={"allowed_networks": ["10.0.0.0/33"]}),
        "fetch.allowed_networks[0]",
    ),
    (lambda d: d.update(email={"to": ["x@example.org"], "from": "nobody"}), "email.from"),
    (
        lambda d: d.update(
            email={
                "to": ["x@example.org"],
                "from": "t@example.org",
                "smtp": {"host": "h", "security": "tls"},
            }
        ),
        "email.smtp.security",
    ),
    (lambda d: d["feeds"].append(dict(d["feeds"][0])), "feeds"),
    (lambda d: d.update(fetch={"total_timeout": 0}), "fetch.total_timeout"),
    (lambda d: d.update(match={"gone_after_days": -1}), "match.gone_after_days"),
]


@pytest.mark.parametrize(("change", "key"), BROKEN, ids=[key for _, key in BROKEN])
def test_each_problem_names_its_key_and_the_file(tmp_path: Path, change, key: str) -> None:
    data = minimal()
    change(data)
    path = write_config(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.path == str(path)
    assert any(problem.startswith(key) for problem in caught.value.problems), caught.value.problems
    assert str(path) in str(caught.value)


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    data = minimal()
    data["feeds"][0]["url"] = "gopher://x"
    data["reports"][0]["since"] = "yesterday"
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    keys = {problem.split(":")[0] for problem in caught.value.problems}
    assert {"feeds[0].url", "reports[0].since"} <= keys


@pytest.mark.parametrize(
    ("text", "problem"),
    [("reports: [unclosed", "not valid YAML at line 1"), ("- just\n- a list\n", "mapping")],
)
def test_unreadable_files_are_config_errors(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem):
        load_config(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("every 6h", IntervalSchedule(6 * 3600)),
        ("every 30 minutes", IntervalSchedule(1800)),
        ("0 */6 * * *", CronSchedule("0", "*/6", "*", "*", "*")),
        ("mon 08:00", CronSchedule("0", "8", "*", "*", "mon")),
        ("0 8 * * 1-5", CronSchedule("0", "8", "*", "*", "mon,tue,wed,thu,fri")),
        ("30 7 * * 0", CronSchedule("30", "7", "*", "*", "sun")),
    ],
)
def test_schedule_expressions(text: str, expected: object) -> None:
    assert parse_schedule(text) == expected


@pytest.mark.parametrize("text", ["every 2s", "sometimes", "mon 25:00", "* * *"])
def test_bad_schedule_expressions(text: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(text)


def test_every_config_key_is_documented_in_the_readme() -> None:
    from tracker import config as c

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    sections = {
        "": c.Config, "reports[].": c.ReportConfig, "feeds[].": c.FeedConfig,
        "fetch.": c.FetchConfig, "match.": c.MatchConfig, "schedule.": c.ScheduleConfig,
        "daemon.": c.DaemonConfig, "email.": c.EmailConfig, "digest.": c.DigestConfig,
    }  # fmt: skip
    containers = {"source_path", "email.smtp", *(p.rstrip(".[]") for p in sections if p)}
    missing = [
        prefix + (field.alias or name)
        for prefix, model in sections.items()
        for name, field in model.model_fields.items()
        if f"{prefix}{name}" not in containers and f"`{prefix}{field.alias or name}`" not in readme
    ]
    # The SMTP block is documented as one row listing its keys.
    missing += [
        f"email.smtp.{name}" for name in c.SmtpConfig.model_fields if f"`{name}`" not in readme
    ]
    assert missing == []


# Cron numbers weekdays from Sunday (0 or 7); each expression must build the
# daemon's real trigger and fire on exactly the days cron means.
CRON_WEEKDAYS = [
    ("0 8 * * 0-3", {"Sun", "Mon", "Tue", "Wed"}),
    ("0 8 * * 5-7", {"Fri", "Sat", "Sun"}),
    ("0 8 * * 0,6", {"Sat", "Sun"}),
    ("0 8 * * */2", {"Sun", "Tue", "Thu", "Sat"}),
    ("0 8 * * 0-6/3", {"Sun", "Wed", "Sat"}),
    ("0 8 * * 1-5", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
    ("0 8 * * 7", {"Sun"}),
    ("0 8 * * sun-tue", {"Sun", "Mon", "Tue"}),
]


@pytest.mark.parametrize(("text", "days"), CRON_WEEKDAYS)
def test_cron_weekdays_fire_on_the_days_cron_means(text: str, days: set[str]) -> None:
    from datetime import UTC, datetime, timedelta

    from tracker.triggers import trigger_for

    trigger = trigger_for(parse_schedule(text), "UTC")
    fired: set[str] = set()
    moment = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)  # a Sunday
    for _ in range(14):
        moment = trigger.get_next_fire_time(None, moment + timedelta(minutes=1))
        fired.add(moment.strftime("%a"))
    assert fired == days


def test_fetch_deadlines_reach_the_fetch_policy(tmp_path: Path) -> None:
    from tracker.fetch import FetchPolicy

    data = minimal()
    data["fetch"] = {"connect_timeout": 2, "read_timeout": 5, "total_timeout": 7.5}
    policy = FetchPolicy.from_config(load_config(write_config(tmp_path, data)).fetch)
    assert (policy.connect_timeout, policy.read_timeout, policy.total_timeout) == (2, 5, 7.5)
