"""CEL constructs from upstream's tests and docs: evaluated, or an unknown naming the expression.

Expressions kube-apiserver accepts (k8s.io/apiserver validation_test.go, the structured
authentication docs, pkg/cel/environment/base.go libraries) must never be called a
configuration error and never crash; what this engine cannot run comes back as an
``unsupported`` result that names the missing feature.
"""

from __future__ import annotations

import pytest

from oidc_doctor.authn import cel
from oidc_doctor.authn.model import JWTAuthenticator, PrefixedClaimOrExpression
from oidc_doctor.authn.validation import validate_authenticator

CLAIMS = {"sub": "u1", "email": "a@example.com", "email_verified": True, "groups": ["dev", "ops"], "n": 3}

#: expression -> expected evaluation over CLAIMS (None: this engine reports it unsupported)
CASES: dict[str, object] = {
    'claims.?email_verified.orValue(true) ? claims.email : claims.sub': "a@example.com",
    '{claims.?email: "panda"}': None,
    '{"fancy": claims.?email}': "other",  # a map of optionals: evaluated, not a string
    "['yay', string(claims.email), 'panda'].join(' ')": "yay a@example.com panda",
    'claims.groups.map(g, "oidc:" + g)': ["oidc:dev", "oidc:ops"],
    "claims.groups.exists_one(g, g == 'dev') ? 'one' : 'none'": "one",
    "sets.contains(claims.groups, ['dev'])": True,
    "claims.groups.all(i, g, g != '')": None,  # two-variable comprehension
    "cel.bind(e, claims.email, e)": None,
    'url("https://" + claims.sub).getHost()': None,
    'isSemver("1.2.3") ? claims.sub : ""': None,
    'ip("10.0.0.1").family() == 4 ? claims.sub : ""': None,
    'quantity("1Gi").isGreaterThan(quantity("1Mi")) ? claims.sub : ""': None,
}


@pytest.mark.parametrize("expr", list(CASES))
def test_upstream_constructs_evaluate_or_are_unknown(expr: str) -> None:
    a = JWTAuthenticator()
    a.issuer.url = "https://issuer"
    a.issuer.audiences = ["k"]
    a.claim_mappings.username = PrefixedClaimOrExpression(expression=expr)
    a.claim_validation_rules = []
    v = validate_authenticator(a, [])
    # never a configuration error, other than upstream's own email_verified rule
    assert [e for e in v.errors if "email_verified" not in e.body] == []
    r = v.compiled.username.eval(cel.to_cel(CLAIMS))
    want = CASES[expr]
    if want is None:
        assert r.kind == "unsupported" and r.value
    elif want == "other":
        assert r.kind == "other"
    else:
        assert r.kind != "error" and r.value == want


def test_cel_bind_is_not_claimed_to_be_in_kube_apiserver() -> None:
    with pytest.raises(cel.Unsupported, match="does not enable"):
        cel.compile_expression("cel.bind(x, claims.sub, x)", "claims")
