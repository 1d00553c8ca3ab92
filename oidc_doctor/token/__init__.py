"""The token inspector: read a token safely, take it apart, judge it, find its issuer's keys.

- :mod:`oidc_doctor.token.source` reads the token from stdin, a file, the environment or an
  argument and normalises what people paste (quotes, ``Bearer ``, headers, base64 wrapping).
- :mod:`oidc_doctor.token.inspect` decodes it tolerantly and judges it (pure, injected clock).
- :mod:`oidc_doctor.token.keys` finds the signing keys (``--jwks`` file or discovery + JWKS).
- :mod:`oidc_doctor.token.render` prints the ``token`` command's text output.

Nothing here prints, logs or writes a token: reports name it by :func:`oidc_doctor.jose.fingerprint`.
"""
