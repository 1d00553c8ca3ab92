"""``python -m oidc_doctor`` runs the command line."""

from oidc_doctor.cli import entry

entry()
