"""The native DpopChecker behind the Authenticator: an ES256 proof bound to
the token's `cnf.jkt` is accepted once; the same proof again is a replay."""

from __future__ import annotations

import asyncio
import inspect
import json

import pytest
from conftest import PRM, RESOURCE, Signer, accepted_fields
from fleetkit import ProofKey

from mcp_auth_rs._native import Answer, Authenticator, DpopChecker, NativeAuthError, Verifier


@pytest.fixture(scope="module")
def verifier(auth_server: str) -> Verifier:
    v = Verifier(
        json.dumps(
            {
                "issuers": [{"issuer": auth_server, "jwksUri": f"{auth_server}/jwks.json"}],
                "audiences": [RESOURCE],
            }
        )
    )
    v.prepare()
    return v


def options() -> str:
    return json.dumps(
        {
            "resourceMetadataUrl": PRM,
            "requiredScopes": ["mcp:read"],
            "showErrorDetails": False,
            "maxTokenLength": 8192,
            "route": "jwt",
        }
    )


def dpop_options(**extra: object) -> str:
    return json.dumps({"resource": RESOURCE, **extra})


def with_proof(a: Authenticator, token: str, proof: str) -> object:
    return a.authenticate(
        "GET", "/mcp", None, ["Authorization", f"DPoP {token}", "DPoP", proof], False
    )


def challenge(answer: Answer) -> str:
    found = [v for n, v in answer.headers if n.lower() == "www-authenticate"]
    assert found, "a refusal carries a challenge"
    return found[0]


def test_a_proof_is_accepted_once_then_refused_as_a_replay(
    verifier: Verifier, sign: Signer
) -> None:
    key = ProofKey()
    token = sign(cnf={"jkt": key.jkt})
    a = Authenticator(options(), verifier, DpopChecker(dpop_options()))
    proof = key.proof("GET", RESOURCE, token)
    first = with_proof(a, token, proof)
    assert not inspect.isawaitable(first), "without a fleet store the proof is decided inline"
    assert isinstance(first, str)
    assert accepted_fields(first)["scheme"] == "dpop"
    replay = with_proof(a, token, proof)
    assert isinstance(replay, Answer)
    assert replay.status == 401
    assert replay.error == "invalid_dpop_proof"
    assert 'error="invalid_dpop_proof"' in challenge(replay)
    assert ", DPoP algs=" in challenge(replay), "'allowed': both schemes are offered"
    fresh = with_proof(a, token, key.proof("GET", RESOURCE, token))
    assert isinstance(fresh, str), "a new proof from the same key is accepted"


def test_a_proof_of_another_key_or_request_is_refused(verifier: Verifier, sign: Signer) -> None:
    key, other = ProofKey(), ProofKey()
    token = sign(cnf={"jkt": key.jkt})
    a = Authenticator(options(), verifier, DpopChecker(dpop_options()))
    for proof in (
        other.proof("GET", RESOURCE, token),
        key.proof("POST", RESOURCE, token),
        key.proof("GET", "https://elsewhere.example/mcp", token),
        key.proof("GET", RESOURCE, "another-token"),
    ):
        answer = with_proof(a, token, proof)
        assert isinstance(answer, Answer)
        assert answer.status == 401
        assert answer.error == "invalid_dpop_proof"


def test_the_checker_settings_shape_the_challenges(verifier: Verifier, sign: Signer) -> None:
    checker = DpopChecker(dpop_options(mode="required", algorithms=["ES256"]))
    assert (checker.mode, checker.algorithms, checker.nonces) == ("required", ["ES256"], False)
    assert checker.nonce() is None
    a = Authenticator(options(), verifier, checker)
    answer = a.authenticate("GET", "/mcp", None, ["Authorization", f"Bearer {sign()}"], False)
    assert isinstance(answer, Answer)
    assert answer.status == 401
    assert 'algs="ES256"' in challenge(answer)
    assert not challenge(answer).startswith("Bearer"), "'required': DPoP only"
    off = DpopChecker(dpop_options(mode="off"))
    assert off.mode == "off"
    bearer_only = Authenticator(options(), verifier, off)
    accepted = bearer_only.authenticate(
        "GET", "/mcp", None, ["Authorization", f"Bearer {sign()}"], False
    )
    assert isinstance(accepted, str)
    with_nonce = DpopChecker(dpop_options(nonce=True))
    assert with_nonce.nonces
    assert isinstance(with_nonce.nonce(), str)


def test_bad_options_are_refused_by_name() -> None:
    with pytest.raises(NativeAuthError) as caught:
        DpopChecker(json.dumps({"resource": RESOURCE, "mode": "sometimes"}))
    assert caught.value.code == "invalid_config"
    with pytest.raises(NativeAuthError) as caught:
        DpopChecker(json.dumps({"resource": RESOURCE, "iatWindow": 0}))
    assert "dpop.iatWindow" in caught.value.reason


def test_an_awaited_check_uses_the_proof_too(verifier: Verifier, sign: Signer) -> None:
    key = ProofKey()
    token = sign(cnf={"jkt": key.jkt})
    a = Authenticator(options(), verifier, DpopChecker(dpop_options()))
    proof = key.proof("GET", RESOURCE, token)

    async def run() -> tuple[object, object]:
        first = with_proof(a, token, proof)
        first = await first if inspect.isawaitable(first) else first
        second = with_proof(a, token, proof)
        second = await second if inspect.isawaitable(second) else second
        return first, second

    first, second = asyncio.run(run())
    assert isinstance(first, str)
    assert isinstance(second, Answer) and second.status == 401
