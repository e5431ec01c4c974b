"""libdooh's Argon2id PHC strings against argon2-cffi (the reference C implementation).

Hashes made by libdooh (through libdooh/tests/crypto_cli.c, passwords on stdin) must verify
with argon2-cffi, and argon2-cffi's hashes must verify in libdooh; wrong passwords are
refused on both sides. Small costs keep it fast, plus one round with the OWASP parameters
the server uses (m=19456 KiB, t=2, p=1).
"""

from __future__ import annotations

from pathlib import Path

import pytest

argon2 = pytest.importorskip("argon2")
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from crypto_cli import build_cli, run


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_cli(tmp_path_factory.mktemp("argon2cli"))


def c_hash(cli: Path, password: str, m: int, t: int, p: int) -> str:
    return run(cli, "phc-hash", password.encode().hex(), str(m), str(t), str(p))


def c_verify(cli: Path, phc: str, password: str) -> str:
    return run(cli, "phc-verify", phc, password.encode().hex())


PASSWORDS = ["correct horse battery staple", "pässwörd ✓", "x", "a" * 300]


@pytest.mark.parametrize(("m", "t", "p"), [(64, 1, 1), (256, 2, 2), (96, 3, 3)])
def test_hashes_made_in_c_verify_with_argon2_cffi(cli: Path, m: int, t: int, p: int) -> None:
    ph = PasswordHasher()
    for pw in PASSWORDS:
        phc = c_hash(cli, pw, m, t, p)
        assert phc.startswith(f"$argon2id$v=19$m={m},t={t},p={p}$"), phc
        assert ph.verify(phc, pw) is True
        with pytest.raises(VerifyMismatchError):
            ph.verify(phc, pw + "!")


@pytest.mark.parametrize(("m", "t", "p"), [(64, 1, 1), (256, 2, 2), (128, 2, 4)])
def test_hashes_made_by_argon2_cffi_verify_in_c(cli: Path, m: int, t: int, p: int) -> None:
    ph = PasswordHasher(time_cost=t, memory_cost=m, parallelism=p)
    for pw in PASSWORDS:
        phc = ph.hash(pw)
        assert c_verify(cli, phc, pw) == "ok"
        assert c_verify(cli, phc, pw[:-1] + "?") == "mismatch"


def test_other_salt_and_tag_lengths_from_argon2_cffi_verify_in_c(cli: Path) -> None:
    ph = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, hash_len=64, salt_len=8)
    phc = ph.hash("pw")
    assert c_verify(cli, phc, "pw") == "ok"
    ph = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, hash_len=16, salt_len=32)
    assert c_verify(cli, ph.hash("pw"), "pw") == "ok"


def test_other_argon2_variants_are_refused_as_malformed(cli: Path) -> None:
    for kind in (argon2.Type.I, argon2.Type.D):
        phc = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=kind).hash("pw")
        assert c_verify(cli, phc, "pw") == "error EFORMAT"


def test_owasp_parameters_round_trip_both_ways(cli: Path) -> None:
    ph = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16)
    phc = c_hash(cli, "correct horse battery staple", 19456, 2, 1)
    assert phc.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert ph.verify(phc, "correct horse battery staple") is True
    assert not ph.check_needs_rehash(phc)
    theirs = ph.hash("correct horse battery staple")
    assert c_verify(cli, theirs, "correct horse battery staple") == "ok"
    assert c_verify(cli, theirs, "correct horse battery stapl") == "mismatch"


def test_salts_are_sixteen_fresh_random_bytes(cli: Path) -> None:
    salts = {c_hash(cli, "same", 32, 1, 1).split("$")[4] for _ in range(5)}
    assert len(salts) == 5
    assert all(len(s) == 22 for s in salts)  # 16 bytes, unpadded base64
