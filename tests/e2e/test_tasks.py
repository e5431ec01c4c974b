"""examples/tasks over the wire: accounts and tokens, generated CRUD restricted to the
caller's rows (http.md §3, §5), errors (§4), typed SQL in handlers, and the hostile-input rows
of reliability.md §3 and §5 that concern the database.

Each test gets a fresh server with a fresh SQLite file in its own folder; `tasks` is signed
up as ann@example.com and sends her token with every request."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from servers import Server
from wire import fetch

JSON_CT = "application/json"
PROBLEM = "application/problem+json"


SECRET = "a-test-secret-of-at-least-thirty-two-bytes"
TOKENS: dict[int, str] = {}  # server pid -> the token `call` sends


def signup(s: Server, email: str, password: str = "correct horse") -> Any:
    return fetch(s.port, "POST", "/auth/signup", [("Content-Type", "application/json")],
                 json.dumps({"Email": email, "Password": password, "Name": email[:3]}).encode())


def token_for(s: Server, email: str) -> str:
    r = signup(s, email)
    assert r.status == 201, str(r)
    tok: str = json.loads(r.body)["data"]["token"]
    return tok


@pytest.fixture
def start(binaries, server_factory):  # type: ignore[no-untyped-def]
    def make() -> Server:
        return server_factory(binaries("tasks"), env={"JWT_SECRET": SECRET})
    return make


@pytest.fixture
def tasks(start) -> Server:  # type: ignore[no-untyped-def]
    s: Server = start()
    TOKENS[s.pid] = token_for(s, "ann@example.com")
    return s


def call(s: Server, method: str, target: str, body: Any = None,
         headers: list[tuple[str, str]] | None = None, token: str | None = None) -> Any:
    hdrs = list(headers or [])
    tok = token if token is not None else TOKENS.get(s.pid)
    if tok:
        hdrs.append(("Authorization", f"Bearer {tok}"))
    data = b""
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        if not any(k.lower() == "content-type" for k, _ in hdrs):
            hdrs.append(("Content-Type", "application/json"))
    return fetch(s.port, method, target, hdrs, data)


def data(r: Any) -> Any:
    assert r.header("Content-Type") == JSON_CT, str(r)
    return json.loads(r.body)["data"]


def new_task(s: Server, **fields: Any) -> dict[str, Any]:
    r = call(s, "POST", "/tasks", fields)
    assert r.status == 201, str(r)
    row: dict[str, Any] = data(r)
    return row


def test_create_returns_201_location_and_the_stored_row_with_defaults(tasks: Server) -> None:
    r = call(tasks, "POST", "/tasks", {"Title": "Write report"})
    assert r.status == 201, str(r)
    assert r.header("Location") == "/tasks/1"
    assert r.body == (b'{"data":{"id":1,"Title":"Write report","Notes":null,'
                      b'"Priority":"Medium","Status":"Todo","Done":false,"OwnerId":1}}')


def test_client_cannot_set_the_auto_key_or_the_owner(tasks: Server) -> None:
    row = new_task(tasks, id=77, Title="x", OwnerId=42)
    assert (row["id"], row["OwnerId"]) == (1, 1)


def test_get_by_id_404_and_bad_ids(tasks: Server) -> None:
    new_task(tasks, Title="a")
    assert data(call(tasks, "GET", "/tasks/1"))["Title"] == "a"
    r = call(tasks, "GET", "/tasks/2")
    assert (r.status, r.header("Content-Type")) == (404, PROBLEM)
    for bad in ("abc", "1.5", "99999999999999999999", "-"):
        r = call(tasks, "GET", f"/tasks/{bad}")
        assert (r.status, r.header("Content-Type")) == (400, PROBLEM), bad


def test_patch_changes_only_sent_fields(tasks: Server) -> None:
    new_task(tasks, Title="a", Notes="n", Priority="High")
    r = call(tasks, "PATCH", "/tasks/1", {"Done": True})
    assert r.status == 200, str(r)
    row = data(r)
    assert (row["Title"], row["Notes"], row["Priority"], row["Done"]) == ("a", "n", "High", True)
    assert call(tasks, "PATCH", "/tasks/9", {"Done": True}).status == 404


def test_patch_validates_each_sent_field(tasks: Server) -> None:
    new_task(tasks, Title="a")
    r = call(tasks, "PATCH", "/tasks/1", {"Title": ""})
    assert r.status == 422, str(r)
    assert json.loads(r.body)["errors"][0]["field"] == "Title"


def test_put_is_a_full_replacement(tasks: Server) -> None:
    new_task(tasks, Title="a", Notes="n", Priority="High")
    r = call(tasks, "PUT", "/tasks/1", {"Title": "b"})
    assert r.status == 200, str(r)
    row = data(r)
    assert (row["Title"], row["Notes"], row["Priority"]) == ("b", None, "Medium")
    r = call(tasks, "PUT", "/tasks/1", {"Notes": "no title"})
    assert r.status == 422
    assert [e["field"] for e in json.loads(r.body)["errors"]] == ["Title"]
    assert call(tasks, "PUT", "/tasks/5", {"Title": "x"}).status == 404


def test_delete_204_then_404(tasks: Server) -> None:
    new_task(tasks, Title="a")
    r = call(tasks, "DELETE", "/tasks/1")
    assert (r.status, r.body, r.header("Content-Length")) == (204, b"", None)
    assert call(tasks, "DELETE", "/tasks/1").status == 404
    assert call(tasks, "GET", "/tasks/1").status == 404


def test_validation_lists_every_failing_field(tasks: Server) -> None:
    r = call(tasks, "POST", "/tasks", {"Title": "", "Priority": "Urgent"})
    assert (r.status, r.header("Content-Type")) == (422, PROBLEM), str(r)
    body = json.loads(r.body)
    assert body["detail"] == "2 fields failed validation"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("Title", "min"),
                                                                 ("Priority", "enum")]


def test_non_json_and_malformed_bodies(tasks: Server) -> None:
    r = call(tasks, "POST", "/tasks", b"Title=x", [("Content-Type", "text/plain")])
    assert r.status == 415
    assert call(tasks, "POST", "/tasks", b'{"Title":').status == 400
    assert call(tasks, "POST", "/tasks", b'["Title"]').status == 400
    assert call(tasks, "POST", "/tasks", b'{"Title":"a","Title":"b"}').status == 400


def test_duplicate_email_is_409_naming_the_field(tasks: Server) -> None:
    r = signup(tasks, "ann@example.com")
    assert (r.status, r.header("Content-Type")) == (409, PROBLEM), str(r)
    text = r.body.decode()
    assert "Email" in text
    assert "UNIQUE" not in text and "constraint" not in text and "SELECT" not in text


def test_tokens_are_required_and_rows_belong_to_their_owner(tasks: Server) -> None:
    new_task(tasks, Title="ann's")
    r = call(tasks, "GET", "/tasks", token="")
    assert (r.status, r.header("WWW-Authenticate")) == (401, "Bearer"), str(r)
    r = call(tasks, "POST", "/tasks", {"Title": "anon"}, token="")
    assert r.status == 401
    bob = token_for(tasks, "bob@example.com")
    r = call(tasks, "POST", "/tasks", {"Title": "bob's"}, token=bob)
    assert r.status == 201 and data(r)["OwnerId"] == 2
    assert titles(call(tasks, "GET", "/tasks", token=bob)) == ["bob's"]
    assert titles(call(tasks, "GET", "/tasks")) == ["ann's"]
    # Another user's row does not exist for you: 404, not 403.
    for method, body in (("GET", None), ("PATCH", {"Done": True}), ("PUT", {"Title": "x"}),
                         ("DELETE", None)):
        assert call(tasks, method, "/tasks/1", body, token=bob).status == 404, method
    assert data(call(tasks, "GET", "/tasks/1"))["Title"] == "ann's"


def test_login_returns_a_token_that_works(tasks: Server) -> None:
    r = fetch(tasks.port, "POST", "/auth/login", [("Content-Type", "application/json")],
              b'{"Email":"ann@example.com","Password":"correct horse"}')
    assert r.status == 200, str(r)
    body = json.loads(r.body)["data"]
    assert "Password" not in body and body["Email"] == "ann@example.com"
    me = call(tasks, "GET", "/auth/me", token=body["token"])
    assert json.loads(me.body) == {"data": {"id": 1, "Email": "ann@example.com", "Name": "ann",
                                            "Role": "user"}}
    wrong = fetch(tasks.port, "POST", "/auth/login", [("Content-Type", "application/json")],
                  b'{"Email":"ann@example.com","Password":"wrong password"}')
    unknown = fetch(tasks.port, "POST", "/auth/login", [("Content-Type", "application/json")],
                    b'{"Email":"nobody@example.com","Password":"correct horse"}')
    assert wrong.status == unknown.status == 401
    assert wrong.body.replace(b"nobody", b"ann") == unknown.body.replace(b"nobody", b"ann")


def seed(s: Server) -> None:
    for title, prio, done in (("report one", "High", False), ("report two", "Low", True),
                              ("groceries", "Medium", False), ("50% off report", "High", True),
                              ("taxes", "High", False)):
        new_task(s, Title=title, Priority=prio, Done=done)


def titles(r: Any) -> list[str]:
    assert r.status == 200, str(r)
    return [row["Title"] for row in data(r)]


def test_list_filters_order_and_content_range(tasks: Server) -> None:
    seed(tasks)
    r = call(tasks, "GET", "/tasks?Done=eq.false&Priority=in.(High,Medium)&order=id.desc")
    assert titles(r) == ["taxes", "groceries", "report one"]
    assert r.header("Content-Range") == "0-2/*"
    r = call(tasks, "GET", "/tasks?Title=ilike.*REPORT*&order=Priority.desc,id.asc")
    assert titles(r) == ["report one", "50% off report", "report two"] or titles(r) == [
        "report two", "report one", "50% off report"]
    r = call(tasks, "GET", "/tasks?Priority=not.eq.High&order=id")
    assert titles(r) == ["report two", "groceries"]
    r = call(tasks, "GET", "/tasks?Notes=is.null&Done=is.true&order=id")
    assert titles(r) == ["report two", "50% off report"]


def test_list_paging_select_and_exact_count(tasks: Server) -> None:
    seed(tasks)
    r = call(tasks, "GET", "/tasks?order=id&limit=2&offset=1", headers=[("Prefer", "count=exact")])
    assert titles(r) == ["report two", "groceries"]
    assert r.header("Content-Range") == "1-2/5"
    r = call(tasks, "GET", "/tasks?select=id,Title&order=id&limit=1")
    assert r.body == b'{"data":[{"id":1,"Title":"report one"}]}'
    r = call(tasks, "GET", "/tasks?limit=5000")
    assert len(data(r)) == 5  # clamped to the maximum, not refused


def test_list_rejects_unknown_columns_operators_and_bad_values(tasks: Server) -> None:
    for target, word in (("/tasks?Nope=eq.1", "Nope"), ("/tasks?Title=approx.x", "approx"),
                         ("/tasks?order=Nope.desc", "Nope"), ("/tasks?limit=abc", "limit"),
                         ("/tasks?select=id,Nope", "Nope"), ("/tasks?id=eq.x", "id")):
        r = call(tasks, "GET", target)
        assert (r.status, r.header("Content-Type")) == (400, PROBLEM), target
        assert word in json.loads(r.body)["detail"], (target, r.body)


def test_injection_strings_are_stored_verbatim_and_like_is_literal(tasks: Server) -> None:
    evil = "'); DROP TABLE tasks; --"
    new_task(tasks, Title=evil)
    new_task(tasks, Title="100 percent")
    new_task(tasks, Title="50% off")
    assert data(call(tasks, "GET", "/tasks/1"))["Title"] == evil
    assert titles(call(tasks, "GET", "/tasks?Title=like.*%25*")) == ["50% off"]
    assert titles(call(tasks, "GET", "/tasks?Title=eq.%27%29%3B%20DROP%20TABLE%20tasks%3B%20--")) \
        == [evil]
    assert len(data(call(tasks, "GET", "/tasks"))) == 3


def test_nul_inside_a_string_is_not_truncated(tasks: Server) -> None:
    new_task(tasks, Title="a\u0000b")
    assert data(call(tasks, "GET", "/tasks/1"))["Title"] == "a\u0000b"


def test_custom_queries_in_handlers(tasks: Server) -> None:
    seed(tasks)
    r = call(tasks, "GET", "/tasks/urgent")
    assert r.status == 200, str(r)
    assert [t["Title"] for t in json.loads(r.body)] == ["report one", "50% off report", "taxes"]
    r = call(tasks, "GET", "/tasks/stats")
    assert r.body == b'{"Total":5,"Pending":5,"Done":0}'
    r = call(tasks, "POST", "/tasks/3/done")
    assert r.status == 200, str(r)
    assert json.loads(r.body)["Status"] == "Done"
    assert call(tasks, "GET", "/tasks/stats").body == b'{"Total":5,"Pending":4,"Done":1}'
    r = call(tasks, "POST", "/tasks/99/done")
    assert (r.status, r.header("Content-Type")) == (404, PROBLEM)


def test_rows_and_tokens_survive_a_restart_and_the_file_is_sound(  # type: ignore[no-untyped-def]
        start, tmp_path: Path) -> None:
    s = start()
    tok = token_for(s, "ann@example.com")
    new_task_with = call(s, "POST", "/tasks", {"Title": "kept"}, token=tok)
    assert new_task_with.status == 201
    assert s.stop() == 0
    s2 = start()
    assert data(call(s2, "GET", "/tasks/1", token=tok))["Title"] == "kept"
    db = tmp_path / "run" / "app.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert [r[1] for r in conn.execute("PRAGMA table_info(tasks)")] == [
            "id", "title", "notes", "priority", "status", "done", "owner_id"]
