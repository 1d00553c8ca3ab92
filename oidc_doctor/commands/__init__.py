"""Sub-commands. Each module has ``add_arguments(parser)``, ``run(args, io) -> int`` and ``EPILOG``.

Only the chosen command's module is imported, so one-shot commands start fast. Shared pieces:
:mod:`~oidc_doctor.commands.options` (option groups declared once),
:mod:`~oidc_doctor.commands.when` (the one rule for the judged moment) and
:mod:`~oidc_doctor.commands.result` (typed results and the one writer every command's output
goes through). See docs/cli.md.
"""

from __future__ import annotations

#: name -> (module, one-line help). Order is the order ``--help`` shows.
COMMANDS: dict[str, tuple[str, str]] = {
    "token": ("oidc_doctor.commands.token", "decode and verify one token"),
    "predict": ("oidc_doctor.commands.predict", "what the API server's JWT authenticator would do with a token"),
    "diagnose": ("oidc_doctor.commands.diagnose", "find the root cause from a bundle and/or a live cluster"),
    "logs": (
        "oidc_doctor.commands.logs",
        "classify authentication lines of API server, proxy and ingress logs",
    ),
    "proxy": ("oidc_doctor.commands.proxy", "oauth2-proxy / Kubeapps session checks; authz-header enable|disable"),
    "rbac": ("oidc_doctor.commands.rbac", "who is bound / may an identity do X, from a bundle or live"),
    "whoami": ("oidc_doctor.commands.whoami", "live: who the API server says the token is (SelfSubjectReview)"),
    "collect": ("oidc_doctor.commands.collect", "live: write a redacted bundle from a cluster"),
    "examples": ("oidc_doctor.commands.examples", "the example bundles shipped with the tool: list, path NAME"),
    "completion": ("oidc_doctor.commands.completion", "shell completion script: bash, zsh or fish"),
}
