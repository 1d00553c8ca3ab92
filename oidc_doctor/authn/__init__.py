"""The kube-apiserver JWT (OIDC) authenticator, emulated.

- :mod:`~oidc_doctor.authn.model`: one settings model for flags and AuthenticationConfiguration;
- :mod:`~oidc_doctor.authn.flags`, :mod:`~oidc_doctor.authn.sources`,
  :mod:`~oidc_doctor.authn.settings`: readers for every place the settings live;
- :mod:`~oidc_doctor.authn.validation`: kube-apiserver's validation and its messages;
- :mod:`~oidc_doctor.authn.verify`: one token through the authenticators, in the API server's
  order, with its exact error strings;
- :mod:`~oidc_doctor.authn.cel`: CEL (loaded only when a configuration has expressions);
- :mod:`~oidc_doctor.authn.remote`: discovery/JWKS/distributed claims (``predict`` only).
"""
