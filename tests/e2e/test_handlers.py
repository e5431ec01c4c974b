"""examples/handlers as a real server: every handler's exact behaviour on the wire.

http.md §2 (binding path/query/body parameters, return values, Result errors), §4 (problem
details: 400/415/422/500), and the language features the handlers use (interpolation, loops,
arrays, checked arithmetic, `??`, match, string methods).
"""

from __future__ import annotations

import json

import pytest
from servers import Server, module_server
from wire import REQUEST_ID, Conn, fetch, problem, request_bytes

PLAIN = "text/plain; charset=utf-8"
JSON = "application/json"
PROBLEM = "application/problem+json"
CT_JSON = [("Content-Type", "application/json")]


@pytest.fixture(scope="module")
def handlers(binaries, tmp_path_factory):
    yield from module_server(binaries("handlers"), tmp_path_factory.mktemp("handlers"))


@pytest.fixture(scope="module")
def port(handlers: Server) -> int:
    return handlers.port


def get(port: int, target: str, headers: list[tuple[str, str]] | None = None):
    return fetch(port, "GET", target, headers)


def signup(port: int, body: bytes | str, headers: list[tuple[str, str]] | None = None):
    data = body.encode("utf-8") if isinstance(body, str) else body
    return fetch(port, "POST", "/signup", CT_JSON if headers is None else headers, data)


def assert_problem(r, status: int, title: str, detail: str, instance: str, errors: str = ""):
    assert r.status == status, str(r)
    assert r.header("Content-Type") == PROBLEM, str(r)
    assert r.body == problem(status, title, detail, instance, errors), str(r)
    assert r.header("Content-Length") == str(len(r.body))


# ---- GET /hello/:name --------------------------------------------------------------------

@pytest.mark.parametrize("segment, body", [
    ("bob", "Hello, bob!"),
    ("Ada%20Lovelace", "Hello, Ada Lovelace!"),
    ("%E2%9C%93", "Hello, \u2713!"),
    ("a+b", "Hello, a+b!"),  # '+' is a space only in the query, not in the path
])
def test_hello_path_param_is_decoded_and_interpolated(port, segment, body):
    r = get(port, f"/hello/{segment}")
    assert r.status == 200, str(r)
    assert r.header("Content-Type") == PLAIN
    assert r.body == body.encode("utf-8")


@pytest.mark.parametrize("segment", ["a%2Fb", "a%00b", "a%zzb", "a%4"])
def test_hello_rejects_bad_path_escapes_with_400(port, segment):
    assert_problem(get(port, f"/hello/{segment}"), 400, "Bad Request",
                   "malformed path segment", f"/hello/{segment}")


@pytest.mark.parametrize("path", ["/hello/", "/hello/a/b", "/hello"])
def test_hello_needs_exactly_one_segment(port, path):
    assert_problem(get(port, path), 404, "Not Found", "no route matches this path", path)


# ---- GET /square/:n ----------------------------------------------------------------------

@pytest.mark.parametrize("n, body", [
    ("5", b"25"), ("-3", b"9"), ("0", b"0"),
    ("3037000499", b"9223372030926249001"),  # the largest square that fits in an Int
])
def test_square_returns_a_json_int(port, n, body):
    r = get(port, f"/square/{n}")
    assert r.status == 200, str(r)
    assert r.header("Content-Type") == JSON
    assert r.body == body


@pytest.mark.parametrize("n", ["abc", "1.5", "9223372036854775808", "%20", "0x10", "+5"])
def test_square_bad_int_path_param_is_400(port, n):
    assert_problem(get(port, f"/square/{n}"), 400, "Bad Request",
                   "path parameter `n` must be an integer", f"/square/{n}")


@pytest.mark.parametrize("n", ["4000000000", "3037000500", "-3037000500"])
def test_square_overflow_is_500_and_logged(port, handlers, n):
    r = get(port, f"/square/{n}")
    assert_problem(r, 500, "Internal Server Error", "internal server error", f"/square/{n}")
    rid = r.header("X-Request-Id")
    err = handlers.wait_stderr(rid)
    lines = [line for line in err.splitlines() if rid in line]
    assert lines and "integer overflow" in lines[0], err


# ---- GET /stats?count= -------------------------------------------------------------------

@pytest.mark.parametrize("query, body", [
    ("count=4", b'{"count":4,"total":10,"mean":2.5,"evens":[2,4]}'),
    ("count=5", b'{"count":5,"total":15,"mean":3,"evens":[2,4]}'),
    ("count=2&other=x", b'{"count":2,"total":3,"mean":1.5,"evens":[2]}'),
    ("count=3", b'{"count":3,"total":6,"mean":2,"evens":[2]}'),
])
def test_stats_struct_fields_in_declaration_order(port, query, body):
    r = get(port, f"/stats?{query}")
    assert r.status == 200, str(r)
    assert r.header("Content-Type") == JSON
    # Exact bytes for the order; Float values compared as numbers (2 vs 2.0 is not contract).
    assert list(json.loads(r.body)) == ["count", "total", "mean", "evens"]
    assert json.loads(r.body) == json.loads(body)
    if b"2.5" in body or b"1.5" in body:
        assert r.body == body


def test_stats_upper_bound_is_accepted(port):
    r = get(port, "/stats?count=1000")
    assert r.status == 200, str(r)
    v = json.loads(r.body)
    assert (v["count"], v["total"], v["mean"], len(v["evens"])) == (1000, 500500, 500.5, 500)
    assert v["evens"][:3] == [2, 4, 6] and v["evens"][-1] == 1000


def test_stats_missing_count_is_400(port):
    assert_problem(get(port, "/stats"), 400, "Bad Request",
                   "missing query parameter `count`", "/stats")


def test_stats_non_integer_count_is_400(port):
    assert_problem(get(port, "/stats?count=abc"), 400, "Bad Request",
                   "query parameter `count` must be an integer", "/stats")


@pytest.mark.parametrize("count", ["0", "-1", "1001"])
def test_stats_out_of_range_is_api_error_bad_request(port, count):
    # Err ApiError::BadRequest → 400; the problem's instance is the path without the query.
    assert_problem(get(port, f"/stats?count={count}"), 400, "Bad Request", "Bad Request",
                   "/stats")


# ---- GET /items/:id, DELETE /items/:id ---------------------------------------------------

def test_item_ok_is_text(port):
    r = get(port, "/items/7")
    assert (r.status, r.header("Content-Type"), r.body) == (200, PLAIN, b"item 7")


def test_item_not_found_is_404_problem(port):
    assert_problem(get(port, "/items/404"), 404, "Not Found", "Not Found", "/items/404")


def test_item_conflict_is_409_problem(port):
    assert_problem(get(port, "/items/409"), 409, "Conflict", "Conflict", "/items/409")


def test_items_allow_lists_get_head_and_delete(port):
    r = fetch(port, "POST", "/items/3", CT_JSON, b"{}")
    assert_problem(r, 405, "Method Not Allowed", "method not allowed on this path", "/items/3")
    assert sorted(r.header("Allow").split(", ")) == ["DELETE", "GET", "HEAD"], r.header("Allow")


def test_delete_item_is_204_without_body(port):
    with Conn(port) as c:
        r = c.request("DELETE", "/items/3")
        assert (r.status, r.reason) == (204, "No Content")
        assert r.header("Content-Length") is None, r.head
        assert r.header("Content-Type") is None, r.head
        assert r.header("Server") == "doo"
        assert REQUEST_ID.fullmatch(r.header("X-Request-Id"))
        # No stray body bytes: the next response on the connection starts cleanly.
        assert c.request("GET", "/items/7").body == b"item 7"


def test_delete_handler_print_goes_to_stdout(binaries, server_factory):
    s = server_factory(binaries("handlers"))
    assert fetch(s.port, "DELETE", "/items/3").status == 204
    assert fetch(s.port, "DELETE", "/items/-12").status == 204
    assert s.stop() == 0
    assert s.stdout() == "removed 3\nremoved -12\n"


# ---- GET /search?q=&limit= ---------------------------------------------------------------

@pytest.mark.parametrize("query, body", [
    ("q=a%20b%20c&limit=2", b"0:a,1:b"),
    ("q=a%20b%20c", b"0:a,1:b,2:c"),
    ("q=+hello++world+", b"0:hello,2:world"),  # '+' is a space; empty words are skipped
    ("limit=1&q=x+y", b"0:x"),
    ("q=a+b&limit=0", b""),
    ("q=%C3%A9t%C3%A9+hiver", "0:\u00e9t\u00e9,1:hiver".encode("utf-8")),
])
def test_search_optional_limit(port, query, body):
    r = get(port, f"/search?{query}")
    assert r.status == 200, str(r)
    assert r.header("Content-Type") == PLAIN
    assert r.body == body
    assert r.header("Content-Length") == str(len(body))


def test_search_missing_q_is_400(port):
    assert_problem(get(port, "/search?limit=3"), 400, "Bad Request",
                   "missing query parameter `q`", "/search")


def test_search_bad_limit_is_400(port):
    assert_problem(get(port, "/search?q=x&limit=abc"), 400, "Bad Request",
                   "query parameter `limit` must be an integer", "/search")


# ---- GET /echo ---------------------------------------------------------------------------

@pytest.mark.parametrize("headers, query, body", [
    ([("User-Agent", "doo-e2e/1.0")], "?who=x", b"agent=doo-e2e/1.0 who=x"),
    ([("user-agent", "lower (case)")], "?who=a%20b", b"agent=lower (case) who=a b"),
    ([], "", b"agent=unknown who=nobody"),
    ([("User-Agent", "ua")], "?other=1&who=first&who=second", b"agent=ua who=first"),
])
def test_echo_reads_header_and_query_from_the_request(port, headers, query, body):
    r = get(port, f"/echo{query}", headers)
    assert r.status == 200, str(r)
    assert r.header("Content-Type") == PLAIN
    assert r.body == body


# ---- GET /panic --------------------------------------------------------------------------

def test_panic_is_500_then_the_server_keeps_serving(port, handlers):
    with Conn(port) as c:
        r = c.request("GET", "/panic")
        assert_problem(r, 500, "Internal Server Error", "internal server error", "/panic")
        assert b"index" not in r.body and b"main.doo" not in r.body  # nothing internal leaks
        if r.header("Connection") != "close":
            after = c.request("GET", "/hello/again")
            assert (after.status, after.body) == (200, b"Hello, again!")
    assert get(port, "/hello/fresh").body == b"Hello, fresh!"
    rid = r.header("X-Request-Id")
    err = handlers.wait_stderr(rid)
    lines = [line for line in err.splitlines() if rid in line]
    assert len(lines) == 1, err
    log = json.loads(lines[0])
    assert log["request_id"] == rid and log["msg"] == "panic", log
    assert "index 7 out of range for length 3" in log["error"], log


def test_panic_with_client_request_id_is_logged_with_it(port, handlers):
    r = get(port, "/panic", [("X-Request-Id", "panic-trace-1")])
    assert r.status == 500 and r.header("X-Request-Id") == "panic-trace-1"
    assert '"request_id":"panic-trace-1"' in handlers.wait_stderr("panic-trace-1")


def test_pipelined_panic_between_good_requests(port):
    reqs = (request_bytes("GET", "/items/1") + request_bytes("GET", "/panic")
            + request_bytes("GET", "/square/12"))
    with Conn(port) as c:
        c.send(reqs)
        rs = [c.read_response() for _ in range(3)]
    assert [(r.status, r.body) for r in (rs[0], rs[2])] == [(200, b"item 1"), (200, b"144")]
    assert rs[1].status == 500


# ---- POST /signup ------------------------------------------------------------------------

VALID = '{"email":"a@b.co","password":"secret123","name":"Ada Lovelace","age":36}'


def test_signup_valid_body_is_201_json_with_defaults(port):
    r = signup(port, VALID)
    assert (r.status, r.reason) == (201, "Created")
    assert r.header("Content-Type") == JSON
    assert r.body == (b'{"message":"Welcome, Ada!","name":"ADA LOVELACE",'
                      b'"priority":"Medium","tags":["medium"]}')


def test_signup_all_optional_fields(port):
    body = ('{"email":"a@b.co","password":"xxxxxxxx","name":"Bob","age":13,'
            '"website":"https://ada.dev/x","code":"XYZ-1234","priority":"High"}')
    r = signup(port, body)
    assert r.status == 201, str(r)
    assert r.body == (b'{"message":"Welcome, Bob!","name":"BOB","priority":"High",'
                      b'"tags":["high","has-website"]}')


def test_signup_null_optional_is_absent(port):
    r = signup(port, '{"email":"a@b.co","password":"secret123","name":"Ada","age":36,'
                     '"website":null,"priority":"Low"}')
    assert r.status == 201, str(r)
    assert r.body == b'{"message":"Welcome, Ada!","name":"ADA","priority":"Low","tags":["low"]}'


def test_signup_json_escaping_round_trips(port):
    name = 'Bob "the" Builder\\\t'
    body = json.dumps({"email": "a@b.co", "password": "secret123", "name": name, "age": 40})
    r = signup(port, body)
    assert r.status == 201, str(r)
    assert r.body == (b'{"message":"Welcome, Bob!","name":"BOB \\"THE\\" BUILDER\\\\\\t",'
                      b'"priority":"Medium","tags":["medium"]}')
    assert json.loads(r.body)["name"] == name.upper()


def test_signup_content_type_with_parameters_is_json(port):
    r = signup(port, VALID, [("Content-Type", "application/json; charset=utf-8")])
    assert r.status == 201, str(r)


@pytest.mark.parametrize("headers", [
    [("Content-Type", "text/plain")],
    [("Content-Type", "application/x-www-form-urlencoded")],
    [],
])
def test_signup_non_json_content_type_is_415(port, headers):
    assert_problem(signup(port, VALID, headers), 415, "Unsupported Media Type",
                   "expected a JSON body (Content-Type: application/json)", "/signup")


@pytest.mark.parametrize("body, detail", [
    ('{"email":', "invalid JSON: unexpected end of input"),
    ("", "invalid JSON: unexpected end of input"),
    ("[1]", "expected a JSON object"),
    ('"text"', "expected a JSON object"),
    ('{"email":"a@b.co","email":"x@y.z"}', 'invalid JSON: duplicate key "email"'),
])
def test_signup_malformed_json_is_400(port, body, detail):
    assert_problem(signup(port, body), 400, "Bad Request", detail, "/signup")


@pytest.mark.parametrize("body", [
    "{'a':1}", '{"a":1,}', '{"a":01}', '{"a":"\x01"}', '{"a":"\\ud800"}', b'{"a":"\xff"}',
    '{"a":1} x', '{"a":NaN}',
])
def test_signup_invalid_json_variants_are_400(port, body):
    r = signup(port, body)
    assert r.status == 400, str(r)
    assert r.header("Content-Type") == PROBLEM
    v = json.loads(r.body)
    assert (v["title"], v["status"], v["instance"]) == ("Bad Request", 400, "/signup")
    assert v["detail"].startswith("invalid JSON"), v


def test_signup_failed_decorators_list_all_fields_in_order(port):
    body = ('{"email":"nope","password":"short","name":"","website":"x","code":"abc",'
            '"age":5,"priority":"Urgent"}')
    errors = ('[{"field":"email","code":"email","detail":"must be a valid e-mail address"},'
              '{"field":"password","code":"min","detail":"must be at least 8 characters","min":8},'
              '{"field":"name","code":"min","detail":"must be at least 1 character","min":1},'
              '{"field":"website","code":"url","detail":"must be an absolute http or https URL"},'
              '{"field":"code","code":"pattern","detail":"must match the pattern [A-Z]{3}-[0-9]{4}"},'
              '{"field":"age","code":"min","detail":"must be at least 13","min":13},'
              '{"field":"priority","code":"enum","detail":"must be one of: Low, Medium, High"}]')
    assert_problem(signup(port, body), 422, "Unprocessable Content",
                   "7 fields failed validation", "/signup", errors)


def test_signup_max_decorators(port):
    body = json.dumps({"email": "a@b.co", "password": "p" * 65, "name": "n" * 41, "age": 151})
    v = json.loads(signup(port, body).body)
    assert v["status"] == 422, v
    assert v["detail"] == "3 fields failed validation"
    assert [(e["field"], e["code"], e.get("max")) for e in v["errors"]] == [
        ("password", "max", 64), ("name", "max", 40), ("age", "max", 150)]


def test_signup_boundaries_are_inclusive(port):
    body = json.dumps({"email": "a@b.co", "password": "p" * 64, "name": "n" * 40, "age": 150})
    assert signup(port, body).status == 201
    body = json.dumps({"email": "a@b.co", "password": "p" * 8, "name": "n", "age": 13})
    assert signup(port, body).status == 201


def test_signup_wrong_field_types_are_422_listing_all(port):
    body = '{"email":5,"password":true,"name":["x"],"website":3,"code":[],"age":"36","priority":1}'
    errors = ('[{"field":"email","code":"type","detail":"must be a string"},'
              '{"field":"password","code":"type","detail":"must be a string"},'
              '{"field":"name","code":"type","detail":"must be a string"},'
              '{"field":"website","code":"type","detail":"must be a string"},'
              '{"field":"code","code":"type","detail":"must be a string"},'
              '{"field":"age","code":"type","detail":"must be an integer"},'
              '{"field":"priority","code":"type","detail":"must be one of: Low, Medium, High"}]')
    assert_problem(signup(port, body), 422, "Unprocessable Content",
                   "7 fields failed validation", "/signup", errors)


@pytest.mark.parametrize("age, code", [("36.5", "type"), ("99999999999999999999", "range")])
def test_signup_non_int64_age_is_422(port, age, code):
    body = '{"email":"a@b.co","password":"secret123","name":"Ada","age":' + age + "}"
    v = json.loads(signup(port, body).body)
    assert v["status"] == 422, v
    assert [(e["field"], e["code"]) for e in v["errors"]] == [("age", code)]


def test_signup_missing_required_fields_are_422(port):
    errors = ('[{"field":"email","code":"required","detail":"is required"},'
              '{"field":"age","code":"required","detail":"is required"}]')
    assert_problem(signup(port, '{"password":"secret123","name":"Ada"}'), 422,
                   "Unprocessable Content", "2 fields failed validation", "/signup", errors)


def test_signup_unknown_field_is_422_unknown(port):
    body = VALID[:-1] + ',"extra":1}'
    errors = '[{"field":"extra","code":"unknown","detail":"is not a field of Signup"}]'
    assert_problem(signup(port, body), 422, "Unprocessable Content",
                   "1 field failed validation", "/signup", errors)


def test_signup_unknown_and_invalid_fields_are_reported_together(port):
    body = '{"email":"nope","password":"secret123","name":"Ada","age":36,"admin":true}'
    v = json.loads(signup(port, body).body)
    assert v["status"] == 422
    assert sorted((e["field"], e["code"]) for e in v["errors"]) == [
        ("admin", "unknown"), ("email", "email")]


def test_signup_chunked_body_is_accepted(port):
    data = VALID.encode()
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, data[:10], len(data) - 10, data[10:])
    r = fetch(port, "POST", "/signup", CT_JSON + [("Transfer-Encoding", "chunked")], chunked)
    assert r.status == 201, str(r)
    assert json.loads(r.body)["message"] == "Welcome, Ada!"


def test_signup_body_that_looks_like_a_request_is_never_parsed_as_one(port):
    inner = request_bytes("GET", "/hello/smuggled")
    with Conn(port) as c:
        c.send(request_bytes("POST", "/signup", CT_JSON, inner) + request_bytes("GET", "/items/5"))
        first, second = c.read_response(), c.read_response()
    assert first.status == 400 and first.header("Content-Type") == PROBLEM, str(first)
    assert (second.status, second.body) == (200, b"item 5")


def test_signup_on_a_keep_alive_connection_mixes_with_gets(port):
    with Conn(port) as c:
        assert c.request("POST", "/signup", CT_JSON, VALID.encode()).status == 201
        assert c.request("POST", "/signup", CT_JSON, b"{").status == 400
        assert c.request("POST", "/signup", [("Content-Type", "text/plain")], b"x").status == 415
        assert c.request("GET", "/hello/x").body == b"Hello, x!"


def test_head_on_handler_routes(port):
    with Conn(port) as c:
        head = c.request("HEAD", "/stats?count=4")
        assert head.status == 200 and head.body == b""
        assert head.header("Content-Length") == "47"
        assert head.header("Content-Type") == JSON
        missing = c.request("HEAD", "/stats")
        assert missing.status == 400 and missing.header("Content-Type") == PROBLEM
        assert c.request("GET", "/square/2").body == b"4"


def test_json_depth_limit_follows_the_environment(binaries, server_factory):
    s = server_factory(binaries("handlers"), env={"DOO_MAX_JSON_DEPTH": "3"})
    hdrs = [("Content-Type", "application/json")]
    ok = fetch(s.port, "POST", "/signup", hdrs, b'{"x":[[1]]}')
    assert ok.status == 422, str(ok)  # read (3 deep), then refused field by field
    deep = fetch(s.port, "POST", "/signup", hdrs, b'{"x":[[[1]]]}')
    assert deep.status == 400, str(deep)
    assert json.loads(deep.body)["detail"].startswith("invalid JSON: ")


def test_bad_json_depth_setting_stops_start_up(binaries, tmp_path):
    import subprocess

    proc = subprocess.run([str(binaries("handlers"))], capture_output=True, text=True,
                          timeout=10, cwd=tmp_path,
                          env={"DOO_ADDR": "127.0.0.1:0", "DOO_MAX_JSON_DEPTH": "deep"})
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        'doo: invalid DOO_MAX_JSON_DEPTH "deep" (expected a plain decimal number in range)']
