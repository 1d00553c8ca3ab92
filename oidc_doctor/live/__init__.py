"""Live mode: kubeconfig loading and a small Kubernetes API client (imported by live commands only)."""
