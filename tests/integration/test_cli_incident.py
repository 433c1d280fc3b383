"""`warroom incident ...` against a real `warroom serve` over HTTP: tables for people, --json for scripts,
errors as one line and a non-zero exit. One server for the whole module."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.cli_support import base_env, invoke, run, served, setup_db

# module-scoped fixtures (and tests that build on each other) stay on one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("test_cli_incident")


class Cli:
    """Runs `warroom incident ...` against the server: in-process by default (the same Typer app, only
    without a Python start-up per call), or as the installed binary with real=True."""

    def __init__(self, env: dict[str, str], url: str, token: str) -> None:
        self.env, self.url, self.token = env, url, token

    def __call__(self, *args: str, token: str | None = None, real: bool = False) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "WARROOM_URL": self.url, "WARROOM_TOKEN": token or self.token}
        return (run if real else invoke)(env, "incident", *args)

    def ok(self, *args: str, real: bool = False) -> str:
        r = self(*args, real=real)
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""
        return r.stdout

    def json(self, *args: str) -> object:
        return json.loads(self.ok(*args, "--json"))

    def fails(self, *args: str, token: str | None = None, real: bool = False) -> str:
        r = self(*args, token=token, real=real)
        assert r.returncode != 0 and r.stdout == ""
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
        return lines[0]


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    db = Path(tmp_path_factory.mktemp("cli")) / "warroom.db"
    env = base_env(db)
    token = setup_db(env)
    assert run(env, "user", "create", "vic", "--role", "viewer").returncode == 0
    assert run(env, "user", "create", "rob", "--role", "responder").returncode == 0
    with served(env) as url:
        h = {"Authorization": f"Bearer {token}"}
        team = httpx.post(f"{url}/api/v1/teams", headers=h, json={"name": "Databases"}).json()
        httpx.post(f"{url}/api/v1/services", headers=h, json={"name": "postgres", "team_id": team["id"], "tier": 1})
        yield Cli(env, url, token)


def test_declare_show_and_list(cli: Cli) -> None:
    out = cli.ok("declare", "Checkout failing", "--impact", "extensive", "--urgency", "critical",
                 "-d", "HTTP 500 for most customers", "--category", "availability", "--service", "1",
                 "--identified-via", "monitoring", real=True)
    assert out.strip() == "declared INC-1 (P1): Checkout failing"
    shown = cli.ok("show", "INC-1")
    assert shown.splitlines()[0] == "INC-1  Checkout failing"
    assert "status identified" in shown and "priority P1" in shown and "HTTP 500 for most customers" in shown
    assert "services 1" in shown and "via monitoring" in shown
    item = cli.json("show", "1")
    assert item["ref"] == "INC-1" and item["service_ids"] == [1] and item["category"] == "availability"
    other = cli.json("declare", "Search slow", "--impact", "minor", "--urgency", "low", "--priority", "P2",
                     "--priority-reason", "launch week")
    assert other["priority"] == "P2" and other["priority_reason"] == "launch week"
    table = cli.ok("list", real=True).splitlines()
    assert table[0].split() == ["REF", "PRIORITY", "MAJOR", "STATUS", "TITLE", "AGE"]
    assert table[1].startswith("INC-1 ") and table[2].startswith("INC-2 ") and table[-1] == "2 of 2"
    page = cli.json("list", "--priority", "P2")
    assert [i["ref"] for i in page["items"]] == ["INC-2"] and page["total"] == 1
    assert cli.json("list", "--search", "checkout", "--open")["total"] == 1


def test_work_an_incident_through_the_lifecycle(cli: Cli) -> None:
    ref = cli.json("declare", "DB primary down", "--impact", "significant", "--urgency", "high")["ref"]
    assert cli.ok("ack", ref).strip() == f"acknowledged {ref}"
    assert cli.ok("move", ref, "investigating", "--note", "checking disks").strip() == f"{ref} is now investigating"
    assert cli.ok("promote", ref, "--reason", "payments down").strip() == f"{ref} is a major incident"
    assert cli.ok("assign", ref, "coordinator", "--user", "1").strip() == f"{ref}: coordinator is now 1"
    assert cli.ok("assign", ref, "scribe", "--user", "ROB").strip() == f"{ref}: scribe is now ROB"
    item = cli.json("assign", ref, "expert", "--user", "rob", "--team", "databases")
    assert item["coordinator_id"] == 1 and item["experts"] == [{"user_id": 3, "team_id": 1}]
    assert item["scribe_id"] == 3
    assert "roles  coordinator=admin scribe=rob expert=rob@team1" in cli.ok("show", ref)
    assert "no user named 'nobody'" in cli.fails("assign", ref, "scribe", "--user", "nobody")
    assert "no team named 'Moon'" in cli.fails("assign", ref, "expert", "--user", "rob", "--team", "Moon")
    line = cli.fails("assign", ref, "scribe", "--user", "vic")  # a viewer cannot hold a role
    assert "422" in line and "user_id: vic is a viewer" in line
    assert cli.ok("note", ref, "Disk full; failing over").strip().startswith("note added as event ")
    assert "MAJOR" in cli.ok("list", "--major")
    assert cli.ok("demote", ref, "-r", "contained to one region").strip() == f"{ref} is no longer a major incident"
    for to in ("resolved", "closed"):
        cli.ok("move", ref, to)
    timeline = cli.ok("timeline", ref).splitlines()
    assert timeline[0].split() == ["SEQ", "OCCURRED_AT", "ACTOR", "KIND", "DATA"]
    kinds = [line.split()[3] for line in timeline[1:]]
    assert kinds == ["incident.declared", "incident.acknowledged", "status.changed", "major.promoted",
                     "role.assigned", "role.assigned", "role.assigned", "note.added", "major.demoted",
                     "status.changed", "status.changed"]
    events = cli.json("timeline", ref)
    assert [e["seq"] for e in events] == list(range(1, 12)) and all(e["actor"] == "admin" for e in events)
    item = cli.json("show", ref)
    assert item["status"] == "closed" and item["closed_at"] and item["investigating_at"]


def test_errors_are_one_line_and_non_zero(cli: Cli) -> None:
    ref = cli.json("declare", "Flaky VPN", "--impact", "minor", "--urgency", "low")["ref"]
    line = cli.fails("move", ref, "closed", real=True)
    assert "allowed next states: contained, investigating, resolved" in line and "409" in line
    assert "version" in cli.fails("move", ref, "investigating", "--version", "99")
    assert "not found" in cli.fails("show", "INC-999")
    assert "priority_reason" in cli.fails("declare", "x", "--impact", "minor", "--urgency", "low", "--priority", "P1")
    assert "team_id" in cli.fails("assign", ref, "expert", "--user", "1")
    assert "reason" in cli.fails("promote", ref, "--reason", " ")
    assert "invalid or revoked token" in cli.fails("list", token="wr_not-a-token")
    assert "responder role" in cli.fails("note", ref, "hi", token=_viewer_token(cli))
    assert "--impact" in cli.fails("declare", "x", "--urgency", "low", real=True)  # a usage error: one line too
    assert "sideways" in cli.fails("move", ref, "sideways")
    r = run({**cli.env, "WARROOM_URL": "http://127.0.0.1:9", "WARROOM_TOKEN": cli.token}, "incident", "list")
    assert r.returncode == 1 and r.stderr.startswith("error: cannot reach http://127.0.0.1:9")
    r = run({k: v for k, v in cli.env.items() if k != "WARROOM_TOKEN"}, "incident", "list")
    assert r.returncode == 1 and r.stderr.startswith("error: no API token")


def test_url_and_token_from_the_config_file(cli: Cli, tmp_path: Path) -> None:
    cli.json("declare", "Config file check", "--impact", "minor", "--urgency", "low")  # at least one to list
    cfg = tmp_path / "cli.toml"
    cfg.write_text(f'url = "{cli.url}"\ntoken = "{cli.token}"\n')
    env = {**cli.env, "WARROOM_CONFIG": str(cfg)}
    r = run(env, "incident", "list", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["total"] >= 1
    cfg.write_text("url = [broken")
    r = run(env, "incident", "list")
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and str(cfg) in r.stderr


_viewer: dict[str, str] = {}


def _viewer_token(cli: Cli) -> str:
    if "t" not in _viewer:
        r = run(cli.env, "token", "create", "vic")
        assert r.returncode == 0
        _viewer["t"] = r.stdout.strip()
    return _viewer["t"]


def test_edit_unassign_link_and_merge(cli: Cli) -> None:
    major = cli.json("declare", "Payments down", "--impact", "moderate", "--urgency", "medium")
    ref = major["ref"]
    out = cli.ok("edit", ref, "--impact", "extensive", "--urgency", "critical", "--title", "Payments down (EU)",
                 "--service", "1", real=True)
    assert out.strip() == f"{ref} edited (priority P1, version {major['version'] + 2})"  # fields, then priority
    item = cli.json("show", ref)
    assert (item["title"], item["priority"], item["service_ids"]) == ("Payments down (EU)", "P1", [1])
    assert "nothing to change" in cli.fails("edit", ref)
    assert "version" in cli.fails("edit", ref, "--category", "x", "--version", "1")
    cli.ok("assign", ref, "comms_lead", "--user", "rob")
    cli.ok("assign", ref, "expert", "--user", "rob", "--team", "Databases")
    assert cli.ok("unassign", ref, "comms_lead").strip() == f"{ref}: comms_lead removed"
    item = cli.json("unassign", ref, "expert", "--user", "rob", "--team", "Databases")
    assert item["comms_lead_id"] is None and item["experts"] == []
    cli.ok("promote", ref, "-r", "revenue")
    child = cli.json("declare", "Card auth errors", "--impact", "minor", "--urgency", "low")["ref"]
    assert cli.ok("link", ref, child).strip() == f"{child} is now a child of {ref}"
    assert cli.json("show", child)["parent_id"] == item["id"]
    dup = cli.json("declare", "Payments failing", "--impact", "minor", "--urgency", "low")["ref"]
    assert cli.ok("merge", dup, "--into", ref).strip() == f"{dup} merged into {ref}"
    merged = cli.json("show", dup)
    assert merged["duplicate_of_id"] == item["id"] and merged["status"] == "resolved"
    assert "not found" in cli.fails("merge", dup, "--into", "INC-999")


def test_dangerous_moves_are_refused_unless_told_what_to_do(cli: Cli) -> None:
    parent = cli.json("declare", "Region down", "--impact", "extensive", "--urgency", "critical")["ref"]
    cli.ok("promote", parent, "-r", "whole region")
    child = cli.json("declare", "Logins failing", "--impact", "minor", "--urgency", "low")["ref"]
    cli.ok("link", parent, child)
    line = cli.fails("move", parent, "resolved")
    assert "409" in line and f"has open child incidents: {child}" in line and "children: resolve or detach" in line
    assert "children" in cli.fails("move", parent, "resolved", "--children", "forget")
    assert cli.ok("move", parent, "resolved", "--children", "resolve").strip() == f"{parent} is now resolved"
    assert cli.json("show", child)["status"] == "resolved"
    assert "child.resolved" in cli.ok("timeline", parent)
    dup = cli.json("declare", "Region slow", "--impact", "minor", "--urgency", "low")["ref"]
    line = cli.fails("merge", dup, "--into", parent)
    assert "409" in line and f"{parent} is resolved; merge into an open incident" in line


def test_page_a_person_a_team_or_a_schedule_into_an_incident(cli: Cli) -> None:
    h = {"Authorization": f"Bearer {cli.token}"}
    rob = next(u["id"] for u in httpx.get(f"{cli.url}/api/v1/users", headers=h).json() if u["username"] == "rob")
    ref = cli.json("declare", "Replica lag", "--impact", "moderate", "--urgency", "high")["ref"]
    assert "Databases has no active members" in cli.fails("page", ref, "--team", "databases")
    httpx.post(f"{cli.url}/api/v1/teams/1/members", headers=h, json={"user_id": rob})
    httpx.post(f"{cli.url}/api/v1/schedules", headers=h, json={"name": "primary", "time_zone": "UTC", "layers": [
        {"name": "day", "user_ids": [rob], "start": "2026-01-01T00:00", "shift": "daily"}]})
    out = cli.ok("page", ref, "--user", "rob", "--message", "lag is 40 s, need a DBA", real=True)
    assert out.strip() == (f"{ref}: paged user rob: 0 people reached, 0 notification(s); 1 cannot be reached "
                           "(no contact rule or account e-mail for this priority)")  # rob has no e-mail
    assert cli.ok("page", ref, "--team", "databases").strip().startswith(f"{ref}: paged team Databases: 0 people")
    ev = cli.json("page", ref, "--schedule", "PRIMARY", "-m", "you are on call")
    assert ev["kind"] == "responders.paged" and ev["data"]["target"]["name"] == "primary"
    assert ev["data"]["user_ids"] == [rob] and ev["data"]["message"] == "you are on call"
    assert "exactly one of --user, --team or --schedule" in cli.fails("page", ref)
    assert "exactly one" in cli.fails("page", ref, "--user", "rob", "--team", "databases")
    line = cli.fails("page", ref, "--user", "vic")
    assert "422" in line and "user_id: vic is a viewer" in line
    assert "no schedule named 'nope'" in cli.fails("page", ref, "--schedule", "nope")
    assert cli.ok("timeline", ref).count("responders.paged") == 3
