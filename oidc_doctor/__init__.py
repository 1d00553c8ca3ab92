"""kube-oidc-doctor: finds out why an OIDC login to Kubernetes fails and says how to fix it."""

__version__ = "0.1.0"
