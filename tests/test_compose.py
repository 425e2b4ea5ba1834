"""docker-compose.yml and deploy/Caddyfile, read as Docker Compose and Caddy would: there is no
Docker engine here to start them, so the test holds them to what the bot needs instead."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app.config import Settings

ROOT = Path(__file__).resolve().parent.parent
REPLICAS = ("bot-1", "bot-2")
# What Compose itself fills in from the shell: ${NAME}, ${NAME:-default}, ${NAME:?message}.
VARIABLE = re.compile(r"\$\{([A-Z_]+)(?::[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_two_replicas_run_the_webhook_on_the_shared_postgresql(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", *REPLICAS, "proxy"}
    for name in REPLICAS:
        replica = services[name]
        assert replica["command"] == ["python", "-m", "bot", "webhook"]
        assert replica["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in replica["environment"]["DATABASE_URL"]
        assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert replica["environment"]["WEBHOOK_URL"].endswith(
            replica["environment"]["WEBHOOK_PATH"]
        )
    first, second = (services[name] for name in REPLICAS)
    # One secret for both: the same configured one, or (none configured) the database's.
    assert first["environment"] == second["environment"]
    user = services["postgres"]["environment"]["POSTGRES_USER"]
    database = services["postgres"]["environment"]["POSTGRES_DB"]
    assert f"postgresql://{user}:" in first["environment"]["DATABASE_URL"]
    assert first["environment"]["DATABASE_URL"].endswith(f"/{database}")


def test_every_setting_the_replicas_get_is_one_the_bot_reads(compose: dict[str, Any]) -> None:
    for name in REPLICAS:
        for variable in compose["services"][name]["environment"]:
            assert variable.lower() in Settings.model_fields, f"{name}: {variable} is not read"


def test_every_service_has_a_healthcheck_and_the_replicas_ask_healthz(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
    for name in REPLICAS:
        probe = " ".join(services[name]["healthcheck"]["test"])
        port = services[name]["environment"]["WEBHOOK_PORT"]
        assert f"http://127.0.0.1:{port}/healthz" in probe
    assert services["proxy"]["depends_on"] == {
        name: {"condition": "service_healthy"} for name in REPLICAS
    }


def test_the_proxy_sends_only_the_webhook_path_to_both_replicas(compose: dict[str, Any]) -> None:
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    mounts = compose["services"]["proxy"]["volumes"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in mounts
    replica = compose["services"][REPLICAS[0]]["environment"]
    route = re.search(r"handle (\S+) \{\s*reverse_proxy ([^{]+)\{", caddyfile)
    assert route is not None, "a reverse_proxy under one path"
    assert route.group(1) == replica["WEBHOOK_PATH"]
    upstreams = route.group(2).split()
    assert upstreams == [f"{name}:{replica['WEBHOOK_PORT']}" for name in REPLICAS]
    assert "health_uri /healthz" in caddyfile
    assert re.search(r"handle \{\s*respond 404", caddyfile), "/healthz and /metrics not public"


def test_each_variable_from_the_shell_is_required_or_has_a_default() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    required = {match.group(1) for match in VARIABLE.finditer(text) if ":?" in match.group(0)}
    assert required == {"BOT_TOKEN", "POSTGRES_PASSWORD", "BOT_DOMAIN"}
    bare = [match.group(0) for match in VARIABLE.finditer(text) if ":" not in match.group(0)]
    assert not bare, f"unset, these would be empty without a word: {bare}"
