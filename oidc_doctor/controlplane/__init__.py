"""What the control plane itself records: API server metrics and audit events (engines, pure).

:mod:`.metrics` reads the authentication families of ``kubectl get --raw /metrics`` (Prometheus
text) or of a Prometheus query result (JSON); :mod:`.audit` reads ``audit.k8s.io/v1`` events (JSON
lines, plain or gzip); :mod:`.hashes` computes the hashes the API server puts in metric labels.
"""
