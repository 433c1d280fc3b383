"""Server-side commands on a temp SQLite database: db upgrade, setup, user create/list, token create."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.integration.cli_support import base_env, invoke, run, served, setup_db


def test_users_tokens_and_a_token_that_works(tmp_path: Path) -> None:
    env = base_env(tmp_path / "w.db")
    admin_token = setup_db(env)
    again = invoke(env, "setup")
    assert again.returncode == 0 and "First admin" not in again.stdout  # shown once only
    r = run(env, "user", "create", "Nina", "--role", "viewer", "--name", "Nina N", "--email", "nina@example.com")
    assert r.returncode == 0 and r.stdout.strip() == "created user nina (id 2, viewer)"
    r = invoke(env, "user", "create", "nina")
    assert (r.returncode, r.stderr.strip()) == (1, "error: username 'nina' is taken")
    r = invoke(env, "user", "create", "bad name")
    assert r.returncode == 1 and r.stderr.startswith("error: username:") and len(r.stderr.splitlines()) == 1
    r = invoke(env, "user", "create", "pat", "--password", "short")
    assert r.returncode == 1 and "password" in r.stderr
    r = invoke(env, "user", "create", "zed", "--role", "king")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "--role" in r.stderr
    listing = invoke(env, "user", "list").stdout.splitlines()
    assert listing[0].split() == ["ID", "USERNAME", "DISPLAY_NAME", "ROLE", "ACTIVE"]
    assert [line.split()[1] for line in listing[1:]] == ["admin", "nina"]
    r = run(env, "token", "create", "NINA", "--name", "laptop")
    assert r.returncode == 0 and r.stdout.startswith("wr_") and len(r.stdout.strip().splitlines()) == 1
    nina_token = r.stdout.strip()
    r = invoke(env, "token", "create", "ghost")
    assert (r.returncode, r.stderr.strip()) == (1, "error: no user named 'ghost'")
    with served(env) as url:
        me = httpx.get(f"{url}/api/v1/users/me", headers={"Authorization": f"Bearer {nina_token}"}).json()
        assert me["username"] == "nina" and me["role"] == "viewer"
        tokens = httpx.get(f"{url}/api/v1/tokens", headers={"Authorization": f"Bearer {admin_token}"}).json()
        assert {t["name"] for t in tokens} == {"first admin token", "laptop"}
        assert all("token_hash" not in t and not t["prefix"].endswith(nina_token[10:]) for t in tokens)
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{url}/openapi.json").status_code == 200
        assert httpx.get(f"{url}/api/v1/incidents/404", headers={"Authorization": f"Bearer {nina_token}"}
                         ).status_code == 404
    log_lines = (tmp_path / "w.serve.log").read_text().splitlines()
    assert log_lines[0].startswith("warroom serving on http://127.0.0.1:")
    entries = [json.loads(line) for line in log_lines[1:] if line.strip()]  # every log line is JSON
    request = next(e for e in entries if e["msg"] == "request")
    assert (request["method"], request["path"], request["status"]) == ("GET", "/api/v1/incidents/404", 404)
    assert all({"ts", "level", "logger", "msg"} <= set(e) and "color_message" not in e for e in entries)



def test_password_reset_token_expiry_and_token_list(tmp_path: Path) -> None:
    """Issue 11.9: `warroom user password` ends the user's sessions and tokens; tokens may expire."""
    env = base_env(tmp_path / "w.db")
    setup_db(env)
    run(env, "user", "create", "nina", "--password", "nina-password-1")
    old = invoke(env, "token", "create", "nina").stdout.strip()
    r = invoke(env, "token", "create", "nina", "--name", "ci", "--expires-in", "90d")
    assert r.returncode == 0 and r.stdout.startswith("wr_")
    ci = r.stdout.strip()
    r = invoke(env, "token", "create", "nina", "--expires-in", "soon")
    assert r.returncode == 1 and "expires_in" in r.stderr
    listing = invoke(env, "token", "list", "nina").stdout.splitlines()
    assert listing[0].split() == ["ID", "USER", "NAME", "PREFIX", "CREATED_AT", "LAST_USED_AT", "EXPIRES_AT",
                                  "REVOKED_AT"]
    assert len(listing) == 3 and "ci" in listing[2] and ci[:10] in listing[2]
    with served(env) as url:
        assert httpx.get(f"{url}/api/v1/users/me", headers={"Authorization": f"Bearer {old}"}).status_code == 200
        r = invoke(env, "user", "password", "nina", "--password", "brand-new-pass")
        assert r.returncode == 0 and "revoked" in r.stdout, r.stderr
        for t in (old, ci):
            assert httpx.get(f"{url}/api/v1/users/me", headers={"Authorization": f"Bearer {t}"}).status_code == 401
    r = invoke(env, "user", "password", "ghost", "--password", "brand-new-pass")
    assert (r.returncode, r.stderr.strip()) == (1, "error: no user named 'ghost'")
    r = invoke(env, "user", "password", "nina", "--password", "short")
    assert r.returncode == 1 and "password" in r.stderr
    revoked = invoke(env, "token", "list").stdout.splitlines()[1:]
    assert [line.split()[1] for line in revoked] == ["admin", "nina", "nina"]
