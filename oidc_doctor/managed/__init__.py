"""Managed control planes whose authentication is not kube-apiserver's OIDC flags (AKS)."""
