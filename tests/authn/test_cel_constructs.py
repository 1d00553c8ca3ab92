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
    "claims.?email_verified.orValue(true) ? claims.email : claims.sub": "a@example.com",
    '{claims.?email: "panda"}': None,
    '{"fancy": claims.?email}': "other",  # a map of optionals: evaluated, not a string
    "['yay', string(claims.email), 'panda'].join(' ')": "yay a@example.com panda",
    'claims.groups.map(g, "oidc:" + g)': ["oidc:dev", "oidc:ops"],
    "claims.sub.getHost()": "error",  # a URL function on a string: cel-go's "no such overload"
    "claims.groups.exists_one(g, g == 'dev') ? 'one' : 'none'": "one",
    "sets.contains(claims.groups, ['dev'])": True,
    "claims.groups.all(i, g, g != '')": True,  # two-variable comprehensions (kube-apiserver 1.32+)
    "claims.groups.exists(i, g, i == 1 && g == 'ops')": True,
    "claims.groups.existsOne(i, g, g == 'dev')": True,
    "claims.groups.transformList(i, g, i > 0, g.upperAscii())": ["OPS"],
    "{'a': 'b'}.all(k, v, k == 'a' && v == 'b')": True,
    "{'a': 'b'}.transformMap(k, v, v + k)": None,  # cel-cpp cannot plan map-building macros
    "cel.bind(e, claims.email, e)": None,
    'url("https://" + claims.sub + ".example.com:8443/x?a=1&a=2").getHost()': "u1.example.com:8443",
    'url("https://idp.example.com/realms/k8s?a=1&a=2").getQuery()': {"a": ["1", "2"]},
    'url("HTTPS://idp.example.com/realms").getScheme()': "https",
    'isURL("not a url") ? "y" : "n"': "n",
    'url("https://idp.example.com/%zz").getHost()': None,  # Go's escape rules: not emulated
    'isSemver("1.2.3") ? claims.sub : ""': "u1",
    'semver("v1.30", true).minor()': 30,
    'semver("1.2.3-alpha.1").isLessThan(semver("1.2.3-alpha.beta"))': True,
    'semver("1.0.0-rc.1").compareTo(semver("1.0.0"))': -1,
    'ip("10.0.0.1").family() == 4 ? claims.sub : ""': "u1",
    'ip("fe80::1").isLinkLocalUnicast()': True,
    'ip("10.1.2.3").isGlobalUnicast()': True,
    'isIP("::ffff:10.0.0.1")': False,  # IPv4-mapped IPv6 is refused by ip.go
    'ip.isCanonical("2001:DB8::1")': False,
    'cidr("10.0.0.0/8").containsIP("10.20.30.40")': True,
    'cidr("10.0.0.0/8").containsCIDR("10.1.0.0/16")': True,
    'string(cidr("10.1.2.3/8").masked())': "10.0.0.0/8",
    'quantity("1Gi").isGreaterThan(quantity("1000Mi")) ? claims.sub : ""': "u1",
    'quantity("2k").asInteger()': 2000,
    'quantity("1.5").asInteger()': None,  # kube-apiserver's conversion error: wording not emulated
    'quantity("1").add(2).compareTo(quantity("3"))': 0,
    'sign(quantity("-5m"))': -1,
    'quantity("-5m").sign()': None,  # a member call on a global overload: cel-go refuses; wording not emulated
    'cidr("10.0.0.0/8")': None,  # a CIDR value as the result: cel-go names its type
    "claims.groups.sortBy(g, g).reverse()": ["ops", "dev"],  # cel-go ext.Lists v3 (kube-apiserver 1.34+)
    "[claims.groups, ['x']].flatten().distinct().size()": 3,
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
    elif want == "error":
        assert (r.kind, r.value) == ("error", "no such overload")
    else:
        assert r.kind != "error" and r.value == want and type(r.value) is type(want)


def test_cel_bind_is_not_claimed_to_be_in_kube_apiserver() -> None:
    with pytest.raises(cel.Unsupported, match="does not enable"):
        cel.compile_expression("cel.bind(x, claims.sub, x)", "claims")
