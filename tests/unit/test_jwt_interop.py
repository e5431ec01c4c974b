"""libdooh's HS256 JWTs against pyjwt, an independent implementation.

A small C driver (libdooh/tests/crypto_cli.c, built by crypto_cli.py with sanitizers) signs and
verifies tokens; secrets travel on its stdin, never in argv. Tokens pyjwt signs with our
secret must verify, tokens we sign must verify with pyjwt, and hostile tokens minted with
pyjwt (alg none and case variants, other algorithms, crit, tampered/cut/padded signatures,
bad claims, wrong segment counts, a 64 KiB token) must each be refused with the expected code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

jwt = pytest.importorskip("jwt")
from crypto_cli import build_cli, run
from jwt.algorithms import HMACAlgorithm

SECRET = b"interop-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
# Tokens are minted relative to the time the module is imported; every expiry below is at
# least an hour away so that a slow suite run cannot expire them.
NOW = int(time.time())
LEEWAY = 30


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_cli(tmp_path_factory.mktemp("jwtcli"))


def c_verify(cli: Path, token: str, now: int = NOW) -> dict[str, object] | str:
    out = run(cli, "jwt-verify", SECRET.hex(), str(now), str(LEEWAY), token)
    return out.removeprefix("error ") if out.startswith("error ") else json.loads(out)


def c_sign(cli: Path, sub: str, email: str | None, role: str | None, iat: int, exp: int) -> str:
    return run(cli, "jwt-sign", SECRET.hex(), sub, email or "-", role or "-", str(iat), str(exp))


def claims(**over: object) -> dict[str, object]:
    base: dict[str, object] = {"sub": "42", "email": "ada@example.com", "iat": NOW,
                               "exp": NOW + 3600, "iss": "doo"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def pyjwt_sign(payload: dict[str, object], alg: str = "HS256", key: bytes | None = SECRET,
               headers: dict[str, object] | None = None) -> str:
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def pyjwt_sign_as(alg_name: str, payload: dict[str, object]) -> str:
    """A token whose header says `alg_name` but whose MAC is a genuine HS256 with our secret,
    so only the alg check can refuse it (pyjwt registers the name as an HMAC algorithm)."""
    jws = jwt.PyJWS()
    if alg_name in jws.get_algorithms():
        jws.unregister_algorithm(alg_name)
    jws.register_algorithm(alg_name, HMACAlgorithm(HMACAlgorithm.SHA256))
    return jws.encode(json.dumps(payload).encode(), SECRET, algorithm=alg_name)


def test_tokens_signed_by_pyjwt_verify_in_c(cli: Path) -> None:
    token = pyjwt_sign(claims(role="admin"))
    assert c_verify(cli, token) == {"sub": "42", "email": "ada@example.com", "role": "admin",
                                    "iat": NOW, "exp": NOW + 3600}
    token = pyjwt_sign(claims(email=None, sub="user-7", nbf=NOW - 5))
    assert c_verify(cli, token) == {"sub": "user-7", "email": None, "role": None,
                                    "iat": NOW, "exp": NOW + 3600}


def test_tokens_signed_in_c_verify_with_pyjwt(cli: Path) -> None:
    token = c_sign(cli, "42", "ada@example.com", "admin", NOW, NOW + 86400)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    got = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="doo",
                     options={"require": ["exp", "iat", "sub", "iss"]})
    assert got == {"sub": "42", "email": "ada@example.com", "role": "admin", "iat": NOW,
                   "exp": NOW + 86400, "iss": "doo"}
    token = c_sign(cli, "zoë \"quoted\"", None, None, NOW, NOW + 7200)
    got = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="doo")
    assert got == {"sub": "zoë \"quoted\"", "iat": NOW, "exp": NOW + 7200, "iss": "doo"}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SECRET + b"x", algorithms=["HS256"])


def test_pyjwt_refuses_our_expired_tokens_too(cli: Path) -> None:
    token = c_sign(cli, "1", None, None, NOW - 100, NOW - 31)
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, SECRET, algorithms=["HS256"], leeway=LEEWAY)
    assert c_verify(cli, token) == "EEXPIRED"


def _cut_signature(t: str) -> str:
    return t[:-1]


def _pad_signature(t: str) -> str:
    return t + "="


def _tamper_signature(t: str) -> str:
    return t[:-5] + ("A" if t[-5] != "A" else "B") + t[-4:]


def _tamper_payload(t: str) -> str:
    head, _, sig = t.split(".")
    other = pyjwt_sign(claims(sub="admin")).split(".")[1]
    return f"{head}.{other}.{sig}"


def _std_alphabet_signature(t: str) -> str:
    head, body, sig = t.split(".")
    return f"{head}.{body}.{sig.replace('-', '+').replace('_', '/')}=="


HOSTILE: dict[str, tuple[Callable[[], str], str]] = {
    "alg_none": (lambda: pyjwt_sign(claims(), alg="none", key=None), "EALG"),
    "alg_none_signed_anyway": (lambda: pyjwt_sign_as("none", claims()), "EALG"),
    "alg_None": (lambda: pyjwt_sign_as("None", claims()), "EALG"),
    "alg_NONE": (lambda: pyjwt_sign_as("NONE", claims()), "EALG"),
    "alg_hs256_lowercase": (lambda: pyjwt_sign_as("hs256", claims()), "EALG"),
    "alg_Hs256": (lambda: pyjwt_sign_as("Hs256", claims()), "EALG"),
    "alg_HS256_trailing_space": (lambda: pyjwt_sign_as("HS256 ", claims()), "EALG"),
    "alg_RS256_confusion": (lambda: pyjwt_sign_as("RS256", claims()), "EALG"),
    "alg_ES256": (lambda: pyjwt_sign_as("ES256", claims()), "EALG"),
    "alg_HS384": (lambda: pyjwt_sign(claims(), alg="HS384"), "EALG"),
    "alg_HS512": (lambda: pyjwt_sign(claims(), alg="HS512"), "EALG"),
    "crit": (lambda: pyjwt_sign(claims(), headers={"crit": ["exp"]}), "ECRIT"),
    "typ_not_jwt": (lambda: pyjwt_sign(claims(), headers={"typ": "at+jwt"}), "EALG"),
    "other_secret": (lambda: pyjwt_sign(claims(), key=b"another-secret-0123456789abcdefghij"),
                     "ESIG"),
    "cut_signature": (lambda: _cut_signature(pyjwt_sign(claims())), "ESIG"),
    "padded_signature": (lambda: _pad_signature(pyjwt_sign(claims())), "ESIG"),
    "tampered_signature": (lambda: _tamper_signature(pyjwt_sign(claims())), "ESIG"),
    "std_alphabet_signature": (lambda: _std_alphabet_signature(pyjwt_sign(claims())), "ESIG"),
    "tampered_payload": (lambda: _tamper_payload(pyjwt_sign(claims())), "ESIG"),
    "empty_signature": (lambda: pyjwt_sign(claims()).rsplit(".", 1)[0] + ".", "ESIG"),
    "two_segments": (lambda: pyjwt_sign(claims()).rsplit(".", 1)[0], "EFORMAT"),
    "four_segments": (lambda: pyjwt_sign(claims()) + ".e30", "EFORMAT"),
    "missing_exp": (lambda: pyjwt_sign(claims(exp=None)), "ECLAIMS"),
    "string_exp": (lambda: pyjwt_sign(claims(exp=str(NOW + 3600))), "ECLAIMS"),
    "float_exp": (lambda: pyjwt_sign(claims(exp=NOW + 3600.5)), "ECLAIMS"),
    "expired": (lambda: pyjwt_sign(claims(exp=NOW - LEEWAY - 1)), "EEXPIRED"),
    "nbf_future": (lambda: pyjwt_sign(claims(nbf=NOW + LEEWAY + 5)), "ENOTYET"),
    "iat_future": (lambda: pyjwt_sign(claims(iat=NOW + LEEWAY + 5)), "ENOTYET"),
    "missing_sub": (lambda: pyjwt_sign(claims(sub=None)), "ECLAIMS"),
    "numeric_sub": (lambda: jwt.api_jws.encode(json.dumps(claims(sub=42)).encode(), SECRET),
                    "ECLAIMS"),
    "wrong_issuer": (lambda: pyjwt_sign(claims(iss="someone-else")), "ECLAIMS"),
    "audience": (lambda: pyjwt_sign(claims(aud="api")), "ECLAIMS"),
    "64_KiB_token": (lambda: pyjwt_sign(claims(pad="x" * 65536)), "ETOOBIG"),
}


@pytest.mark.filterwarnings("ignore:The HMAC key is")  # HS512 with our 52-byte secret
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_tokens_minted_with_pyjwt_are_refused(cli: Path, name: str) -> None:
    make, expected = HOSTILE[name]
    assert c_verify(cli, make()) == expected


def test_leeway_agrees_with_pyjwt(cli: Path) -> None:
    """Both sides use the real clock here; the exact boundaries are in test_jwt.c."""
    now = int(time.time())
    for exp, ok in [(now - LEEWAY - 3, False), (now - LEEWAY + 5, True), (now - 5, True)]:
        token = pyjwt_sign(claims(exp=exp, iat=now - 100))
        assert isinstance(c_verify(cli, token, now=int(time.time())), dict) is ok
        try:
            jwt.decode(token, SECRET, algorithms=["HS256"], leeway=LEEWAY)
            py_ok = True
        except jwt.ExpiredSignatureError:
            py_ok = False
        assert py_ok is ok
