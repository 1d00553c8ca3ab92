"""What the human formats read from a report: a fix's prose and commands apart, near-miss diffs,
the command line with any typed token replaced."""

from __future__ import annotations

import pytest

from oidc_doctor.render.common import Meta
from oidc_doctor.render.view import aligned, diff, fix_parts


def _parts(fix: str) -> list[tuple[str, str]]:
    return [(p.kind, p.text) for p in fix_parts(fix)]


@pytest.mark.parametrize(
    ("fix", "parts"),
    [
        (
            "kubectl -n dev create rolebinding a --user=x\n(or bind a group: replace --user=... by --group=g)",
            [
                ("command", "kubectl -n dev create rolebinding a --user=x"),
                ("prose", "(or bind a group: replace --user=... by --group=g)"),
            ],
        ),
        (
            "a shorter interval (release k/k): helm upgrade k b/k --reuse-values --set a.b=2m",
            [
                ("prose", "a shorter interval (release k/k):"),
                ("command", "helm upgrade k b/k --reuse-values --set a.b=2m"),
            ],
        ),
        (
            # a quoted "(" or ", " belongs to the command; an unquoted " (" starts prose again
            "add it: helm upgrade k b --set-json 'x=[\"a, (b)\"]' (the release was not seen), or upgrade",
            [
                ("prose", "add it:"),
                ("command", "helm upgrade k b --set-json 'x=[\"a, (b)\"]'"),
                ("prose", "(the release was not seen), or upgrade"),
            ],
        ),
        (
            "(or only in one namespace: kubectl -n NS create rolebinding r --user='https://i#s')",
            [("prose", "(or only in one namespace:"), ("command", "kubectl -n NS create rolebinding r --user='https://i#s'")],
        ),
        (
            "read the log (`kubectl -n kube-system logs -l component=apiserver | grep x`), fix it",
            [
                ("prose", "read the log (`kubectl -n kube-system logs -l component=apiserver | grep x`), fix it"),
                ("command", "kubectl -n kube-system logs -l component=apiserver | grep x"),
            ],
        ),
        ("give the API server the CA: `--oidc-ca-file`", [("prose", "give the API server the CA: `--oidc-ca-file`")]),
        ("verify the email: kubectl is not needed", [("prose", "verify the email: kubectl is not needed")]),
    ],
)
def test_fix_parts(fix: str, parts: list[tuple[str, str]]) -> None:
    assert _parts(fix) == parts


def test_diff_and_alignment_mark_what_differs() -> None:
    assert diff("oidc:alice", "alice") == [("differ", "oidc:", ""), ("equal", "alice", "alice")]
    assert aligned("oidc:/dev", "oidc:dev") == ("oidc:/dev", "oidc: dev", "     ^")


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"), "oidc-doctor token '<masked sha256:"),
        (("token", "@id_token.txt", "--offline"), "oidc-doctor token @id_token.txt --offline"),
        (("diagnose", "--token", "opaque-value"), "oidc-doctor diagnose --token '<token>'"),
        (("diagnose", "--token=opaque-value"), "oidc-doctor diagnose '--token=<token>'"),
        (("diagnose", "--token", "-", "--token", "$T"), "oidc-doctor diagnose --token - --token '$T'"),
        (("diagnose", "--error", "it's bad"), "oidc-doctor diagnose --error 'it'\"'\"'s bad'"),
    ],
)
def test_the_command_line_never_repeats_a_typed_token(argv: tuple[str, ...], shown: str) -> None:
    assert Meta(argv).command_line().startswith(shown)


def test_a_typed_token_of_any_shape_named_by_the_options_is_hidden() -> None:
    meta = Meta(("token", "--offline", "opaque-value", "-o", "markdown"), hidden={"opaque-value"})
    assert meta.command_line() == "oidc-doctor token --offline '<token>' -o markdown"
