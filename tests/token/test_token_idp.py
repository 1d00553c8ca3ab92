"""Against a real OpenID provider (oidc-provider 9.13.3): discovery, JWKS, TLS, rotation, expiry.

Every verdict is cross-checked with PyJWT on the same token and the provider's own JWKS.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from idp_fixture import IdP
from token_helpers import run_cli

from oidc_doctor.checks.base import Options
from oidc_doctor.text import iso
from oidc_doctor.token import inspect as ti
from oidc_doctor.token.keys import KeyResolver


def pyjwt_verdict(idp: IdP, token: str, audience: str | None = None, issuer: str | None = None) -> str:
    """PyJWT's word on the token with the provider's current JWKS: ok, expired, audience, ..."""
    header = jwt.get_unverified_header(token)
    match = [k for k in idp.jwks()["keys"] if k.get("kid") == header.get("kid")]
    if not match:
        return "kid-missing"
    try:
        jwt.decode(
            token,
            jwt.PyJWK(match[0]).key,
            algorithms=[header["alg"]],
            audience=audience,
            issuer=issuer,
            options={"verify_aud": audience is not None},
        )
    except jwt.ExpiredSignatureError:
        return "expired"
    except jwt.InvalidAudienceError:
        return "audience"
    except jwt.InvalidIssuerError:
        return "issuer"
    except jwt.InvalidSignatureError:
        return "signature"
    return "ok"


def check(tmp_path: Path, token: str, *args: str) -> tuple[int, dict[str, Any], list[str]]:
    f = tmp_path / "token.txt"
    f.write_text(token)
    r = run_cli(["token", f"@{f}", "--format", "json", *args])
    assert r.status in (0, 1), r.err
    return r.status, r.json(), r.causes()


@pytest.mark.parametrize("alg", ["RS256", "ES256", "ES384", "PS256"])
def test_provider_tokens_verify_through_discovery(idp_https: IdP, tmp_path: Path, alg: str) -> None:
    idp = idp_https
    assert idp.ca_file is not None
    token = idp.mint({"email": "alice@example.com", "email_verified": True, "groups": ["dev"]}, alg=alg)
    status, doc, causes = check(tmp_path, token, "--client-id", "kubernetes", "--ca-file", idp.ca_file)
    assert (status, causes) == (0, [])
    sig = doc["signature"]
    assert isinstance(sig, dict)
    assert sig["status"] == "valid" and sig["kid"] == idp.kids[alg] and sig["alg"] == alg
    assert "discovery" in str(sig["algs_source"])
    assert pyjwt_verdict(idp, token, audience="kubernetes", issuer=idp.issuer) == "ok"


def test_https_provider_verifies_with_the_ca_file(idp_https: IdP, tmp_path: Path) -> None:
    assert idp_https.ca_file is not None
    token = idp_https.mint(alg="ES256")
    status, doc, causes = check(tmp_path, token, "--ca-file", idp_https.ca_file)
    assert (status, causes) == (0, [])
    assert (doc["signature"]["status"], doc["signature"]["kid"]) == ("valid", idp_https.kids["ES256"])
    assert str(doc["signature"]["keys"]).startswith("https://127.0.0.1:")


def test_https_provider_without_its_ca_leaves_the_signature_unknown(idp_https: IdP, tmp_path: Path) -> None:
    token = idp_https.mint()
    status, doc, causes = check(tmp_path, token)
    assert (status, causes) == (0, [])
    sig = doc["signature"]
    assert isinstance(sig, dict)
    assert sig["status"] == "unknown"
    assert "--ca-file" in str(sig["reason"])


def test_plain_http_provider_keys_never_make_the_signature_valid(idp: IdP, tmp_path: Path) -> None:
    token = idp.mint()
    status, doc, _ = check(tmp_path, token)
    assert status in (0, 1)
    assert doc["signature"]["status"] == "unknown"
    assert "plain http" in str(doc["signature"]["reason"])
    assert pyjwt_verdict(idp, token) == "ok"  # the keys do verify it: only their transport is at fault


def test_key_rotation_where_the_kid_leaves_the_jwks(idp_factory: Callable[..., IdP], tmp_path: Path) -> None:
    provider = idp_factory(https=True)
    assert provider.ca_file is not None
    ca = ("--ca-file", provider.ca_file)
    old = provider.mint()
    old_kid = provider.kids["RS256"]
    provider.rotate()
    assert old_kid not in {k["kid"] for k in provider.jwks()["keys"]}

    status, doc, causes = check(tmp_path, old, *ca)
    assert (status, causes) == (1, ["signature-invalid"])
    assert old_kid in str(doc["signature"]["reason"])
    assert pyjwt_verdict(provider, old) == "kid-missing"

    # The resolver fetched the JWKS twice: once, then once more for the unknown kid.
    resolver = KeyResolver(ca_file=provider.ca_file)
    resolver.resolve(token_iss=provider.issuer, kid=old_kid)
    resolver.close()
    assert resolver.fetches == [provider.discovery_url, provider.jwks_uri, provider.jwks_uri]

    fresh = provider.mint()
    assert (check(tmp_path, fresh, *ca)[0], pyjwt_verdict(provider, fresh)) == (0, "ok")


def test_refetch_on_unknown_kid_finds_the_rotated_key(idp_factory: Callable[..., IdP]) -> None:
    provider = idp_factory(https=True)
    resolver = KeyResolver(ca_file=provider.ca_file)
    before = resolver.resolve(token_iss=provider.issuer, kid=provider.kids["RS256"])
    assert before.jwks is not None
    provider.rotate()
    token = provider.mint()
    after = resolver.resolve(token_iss=provider.issuer, kid=provider.kids["RS256"])
    resolver.close()
    # Discovery came from the cache; the cached JWKS lacked the new kid, so it was fetched again, once.
    assert resolver.fetches == [provider.discovery_url, provider.jwks_uri, provider.jwks_uri]
    report = ti.inspect_token(token, "t", datetime.now(UTC), Options(), after)
    assert report.signature.status == "valid"
    assert pyjwt_verdict(provider, token) == "ok"


def test_short_lived_token_expires(idp_https: IdP, tmp_path: Path) -> None:
    idp = idp_https
    assert idp.ca_file is not None
    token = idp.mint(lifetime=1)
    exp = int(jwt.decode(token, options={"verify_signature": False})["exp"])
    at_exp = iso(datetime.fromtimestamp(exp, UTC))
    after = iso(datetime.fromtimestamp(exp + 1, UTC))
    status, _, causes = check(tmp_path, token, "--now", at_exp, "--ca-file", idp.ca_file)
    assert (status, causes) == (0, [])
    status, doc, causes = check(tmp_path, token, "--now", after, "--ca-file", idp.ca_file)
    assert (status, causes) == (1, ["token-expired"])
    assert doc["signature"]["status"] == "valid"


def test_expired_token_on_the_real_clock_agrees_with_pyjwt(idp: IdP, tmp_path: Path) -> None:
    token = idp.mint(lifetime=-5)
    status, _, causes = check(tmp_path, token)
    assert (status, causes) == (1, ["token-expired"])
    assert pyjwt_verdict(idp, token) == "expired"
    live = idp.mint(lifetime=600)
    assert check(tmp_path, live)[2] == []
    assert pyjwt_verdict(idp, live) == "ok"


def test_wrong_issuer_is_reported_on_both_sides(idp: IdP, tmp_path: Path) -> None:
    token = idp.mint()
    status, _, causes = check(tmp_path, token, "--issuer", idp.issuer + "/")
    assert status == 1
    assert causes[0] == "issuer-mismatch" and "discovery-issuer-mismatch" in causes
    assert pyjwt_verdict(idp, token, issuer=idp.issuer + "/") == "issuer"


def test_token_of_another_provider_with_the_same_kid_is_signature_invalid(
    idp: IdP, idp_https: IdP, tmp_path: Path
) -> None:
    assert idp_https.ca_file is not None
    token = idp.mint()  # same kid names, other keys
    status, _, causes = check(tmp_path, token, "--issuer", idp_https.issuer, "--ca-file", idp_https.ca_file)
    assert status == 1
    assert set(causes) == {"issuer-mismatch", "signature-invalid"}
    assert pyjwt_verdict(idp_https, token) == "signature"


def test_wrong_audience(idp: IdP, tmp_path: Path) -> None:
    token = idp.mint(aud=["kubeapps", "oauth2-proxy"])
    status, doc, causes = check(tmp_path, token, "--client-id", "kubernetes")
    assert (status, causes) == (1, ["audience-mismatch"])
    title = doc["findings"][0]["title"]
    assert title == 'The API server expects audience "kubernetes"; the token carries ["kubeapps" "oauth2-proxy"]'
    assert pyjwt_verdict(idp, token, audience="kubernetes") == "audience"
    assert pyjwt_verdict(idp, token, audience="kubeapps") == "ok"


def test_jwks_file_alone_makes_no_network_call(idp: IdP, tmp_path: Path) -> None:
    import json

    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps(idp.jwks()))
    token = idp.mint(alg="ES256")
    status, doc, _ = check(tmp_path, token, "--jwks", str(keys))
    assert status == 0
    sig = doc["signature"]
    assert isinstance(sig, dict)
    assert sig["status"] == "valid" and sig["keys"] == f"--jwks {keys}"
    assert "JWKS keys declare" in str(sig["algs_source"])  # no discovery document was fetched
