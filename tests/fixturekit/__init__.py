"""One vocabulary for building evidence bundles: the example bundles and the QA bundles use it.

It lives under ``tests/`` (``tests/`` is on ``sys.path`` under pytest, as its ``conftest.py`` has no
package), so tests import it as ``fixturekit``; the two generators, run as scripts
(``python examples/generate.py``, ``python tests/qa/make_bundles.py``), put ``tests/`` on the path
first. Modules, each a small set of composable builders:

- ``clock``: the fixed moment every bundle describes and the time formats tools print.
- ``jose``: fixed (seeded) keys, RS256/ES256 signing, JWKs.
- ``idp``: id_token claims of Keycloak, Dex, Azure AD/Entra ID, Okta, Google and GitLab; discovery documents.
- ``kube``: one list of OIDC settings rendered as flags, kubeadm ClusterConfiguration, k3s/RKE2 node
  args and config file, EKS and GKE settings; API server Pods, Nodes, RBAC, kubectl Lists with
  ``managedFields``, ``kubectl auth whoami``, kubelogin output, kubeconfig and kubectl's error texts.
- ``apps``: oauth2-proxy, Kubeapps and Headlamp workloads (``kubectl get`` and ``helm template``
  shapes), Helm release Secrets, Ingresses.
- ``logs``: klog (old and structured forms), JSON, journald, oauth2-proxy and ingress-nginx lines.
- ``out``: kubectl-style YAML/JSON, files as a user writes them, and ``write(folder, files)``.

Everything is deterministic: the same call writes the same bytes.
"""
