# ruff: noqa: E501  -- fixture data: long literal strings are kept whole, as the tools print them
"""The OIDC clients in front of the API server: oauth2-proxy, Kubeapps and Headlamp.

Workloads as ``kubectl get -o yaml`` shows them, as ``helm template`` renders them (text, with
``# Source:`` comments) or as a user writes them; Helm release Secrets; Ingresses.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from fixturekit.clock import NOW, ts
from fixturekit.kube import klist, managed, rv, uid

KEYCLOAK = "https://keycloak.example.com/realms/k8s"

# --- Kubeapps (bitnami/kubeapps: frontend Deployment with the oauth2-proxy "auth-proxy" container) ---

#: The auth-proxy args the bitnami chart renders (templates/frontend/deployment.yaml).
KUBEAPPS_AUTH_PROXY_ARGS = [
    "--provider=oidc",
    f"--oidc-issuer-url={KEYCLOAK}",
    "--upstream=http://localhost:8080/",
    "--http-address=0.0.0.0:3000",
    "--email-domain=*",
    "--pass-basic-auth=false",
    "--pass-access-token=true",
    "--pass-authorization-header=true",
    "--skip-auth-regex=^\\/config\\.json$",
    "--skip-auth-regex=^\\/site\\.webmanifest$",
    "--skip-auth-regex=^\\/custom_style\\.css$",
    "--skip-auth-regex=^\\/custom_locale\\.json$",
    "--skip-auth-regex=^\\/favicon.*\\.png$",
    "--skip-auth-regex=^\\/favicon.*\\.ico$",
    "--skip-auth-regex=^\\/android-chrome-.*\\.png$",
    "--skip-auth-regex=^\\/static\\/",
    "--skip-auth-regex=^\\/img\\/",
    "--skip-auth-regex=^\\/$",
    "--scope=openid email groups",
    "--cookie-secure=true",
]
#: The shorter auth-proxy args of an older chart, as a user copies them (with ``--cookie-refresh=2m``).
KUBEAPPS_SHORT_PROXY_ARGS = [
    "--provider=oidc",
    f"--oidc-issuer-url={KEYCLOAK}",
    "--upstream=http://localhost:8080/",
    "--http-address=0.0.0.0:3000",
    "--email-domain=*",
    "--pass-basic-auth=false",
    "--pass-access-token=true",
    "--pass-authorization-header=true",
    "--skip-auth-regex=^\\/config\\.js$",
    "--scope=openid email groups",
    "--cookie-refresh=2m",
]
_KUBEAPPS_SECRET_ENV = (
    ("OAUTH2_PROXY_CLIENT_ID", "clientID"),
    ("OAUTH2_PROXY_CLIENT_SECRET", "clientSecret"),
    ("OAUTH2_PROXY_COOKIE_SECRET", "cookieSecret"),
)


def secret_env(secret: str, pairs: tuple[tuple[str, str], ...], key_first: bool = True) -> list[dict[str, Any]]:
    """Container env read from Secret keys (``key_first``: keys in kubectl's sorted order)."""

    def ref(key: str) -> dict[str, str]:
        return {"key": key, "name": secret} if key_first else {"name": secret, "key": key}

    return [{"name": n, "valueFrom": {"secretKeyRef": ref(k)}} for n, k in pairs]


def replace_args(args: list[str], *extra: str, drop: tuple[str, ...] = ()) -> list[str]:
    """``args`` without those starting with ``drop``, then ``extra``."""
    return [*(a for a in args if not (drop and a.startswith(drop))), *extra]


def kubeapps_written(chart: str, proxy_args: list[str]) -> dict[str, Any]:
    """The Kubeapps frontend Deployment as a user writes it: nginx plus the auth-proxy container."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "kubeapps",
            "namespace": "kubeapps",
            "labels": {"app.kubernetes.io/component": "frontend", "helm.sh/chart": chart},
        },
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "docker.io/bitnami/nginx:1.21.0"},
                        {
                            "name": "auth-proxy",
                            "image": "docker.io/bitnami/oauth2-proxy:7.1.3",
                            "args": proxy_args,
                            "env": secret_env("kubeapps-oauth2", _KUBEAPPS_SECRET_ENV, key_first=False),
                        },
                    ]
                }
            }
        },
    }


def kubeapps_deployment(chart: str, proxy_image: str, extra_args: list[str]) -> dict[str, Any]:
    """The Kubeapps frontend Deployment as ``kubectl -n kubeapps get deploy kubeapps -o yaml`` shows it."""
    labels = {
        "app.kubernetes.io/component": "frontend",
        "app.kubernetes.io/instance": "kubeapps",
        "app.kubernetes.io/managed-by": "Helm",
        "app.kubernetes.io/name": "kubeapps",
        "helm.sh/chart": chart,
    }

    def container_tail() -> dict[str, Any]:
        return {"resources": {}, "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}

    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "annotations": {
                "deployment.kubernetes.io/revision": "2",
                "meta.helm.sh/release-name": "kubeapps",
                "meta.helm.sh/release-namespace": "kubeapps",
            },
            "creationTimestamp": ts(-86400 * 30),
            "generation": 2,
            "labels": labels,
            "managedFields": [
                managed(
                    "helm", "Update", {"f:metadata": {"f:labels": {}}, "f:spec": {"f:template": {}}}, api="apps/v1"
                ),
                managed("kube-controller-manager", "Update", {"f:status": {}}, api="apps/v1", sub="status"),
            ],
            "name": "kubeapps",
            "namespace": "kubeapps",
            "resourceVersion": rv("deploy", "kubeapps", chart),
            "uid": uid("deploy", "kubeapps"),
        },
        "spec": {
            "progressDeadlineSeconds": 600,
            "replicas": 2,
            "revisionHistoryLimit": 10,
            "selector": {
                "matchLabels": {
                    "app.kubernetes.io/component": "frontend",
                    "app.kubernetes.io/instance": "kubeapps",
                    "app.kubernetes.io/name": "kubeapps",
                }
            },
            "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": labels},
                "spec": {
                    "containers": [
                        {
                            "image": "docker.io/bitnami/nginx:1.21.0-debian-10-r0",
                            "imagePullPolicy": "IfNotPresent",
                            "name": "nginx",
                            "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                            **container_tail(),
                        },
                        {
                            "args": [*KUBEAPPS_AUTH_PROXY_ARGS, *extra_args],
                            "env": secret_env("kubeapps-oauth2", _KUBEAPPS_SECRET_ENV),
                            "image": proxy_image,
                            "imagePullPolicy": "IfNotPresent",
                            "name": "auth-proxy",
                            "ports": [{"containerPort": 3000, "name": "proxy", "protocol": "TCP"}],
                            **container_tail(),
                        },
                    ],
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                    "terminationGracePeriodSeconds": 30,
                },
            },
        },
        "status": {
            "availableReplicas": 2,
            "conditions": [
                {
                    "lastTransitionTime": ts(-3600),
                    "lastUpdateTime": ts(-3600),
                    "message": "Deployment has minimum availability.",
                    "reason": "MinimumReplicasAvailable",
                    "status": "True",
                    "type": "Available",
                }
            ],
            "observedGeneration": 2,
            "readyReplicas": 2,
            "replicas": 2,
            "updatedReplicas": 2,
        },
    }


def kubeapps_helm_template(chart: str, app_version: str, proxy_image: str, extra_args: list[str]) -> str:
    """``helm template kubeapps bitnami/kubeapps -n kubeapps --set authProxy.enabled=true ...`` (frontend part)."""
    labels = (
        "    app.kubernetes.io/instance: kubeapps\n"
        "    app.kubernetes.io/managed-by: Helm\n"
        "    app.kubernetes.io/name: kubeapps\n"
        f"    app.kubernetes.io/version: {app_version}\n"
        f"    helm.sh/chart: {chart}\n"
    )
    args = "".join(f"            - {a}\n" for a in [*KUBEAPPS_AUTH_PROXY_ARGS, *extra_args])
    env = "".join(
        f"            - name: {n}\n              valueFrom:\n                secretKeyRef:\n"
        f"                  name: kubeapps-oauth2\n                  key: {k}\n"
        for n, k in _KUBEAPPS_SECRET_ENV
    )
    return (
        "---\n"
        "# Source: kubeapps/templates/frontend/service.yaml\n"
        "apiVersion: v1\n"
        "kind: Service\n"
        "metadata:\n"
        "  name: kubeapps\n"
        '  namespace: "kubeapps"\n'
        "  labels:\n" + labels + "    app.kubernetes.io/component: frontend\n"
        "spec:\n"
        "  type: ClusterIP\n"
        "  ports:\n"
        "    - port: 80\n"
        "      targetPort: proxy\n"
        "      protocol: TCP\n"
        "      name: http\n"
        "  selector:\n"
        "    app.kubernetes.io/instance: kubeapps\n"
        "    app.kubernetes.io/name: kubeapps\n"
        "    app.kubernetes.io/component: frontend\n"
        "---\n"
        "# Source: kubeapps/templates/frontend/deployment.yaml\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: kubeapps\n"
        '  namespace: "kubeapps"\n'
        "  labels:\n" + labels + "    app.kubernetes.io/component: frontend\n"
        "spec:\n"
        "  replicas: 2\n"
        "  selector:\n"
        "    matchLabels:\n"
        "      app.kubernetes.io/instance: kubeapps\n"
        "      app.kubernetes.io/name: kubeapps\n"
        "      app.kubernetes.io/component: frontend\n"
        "  template:\n"
        "    metadata:\n"
        "      annotations:\n"
        "        checksum/config: 4b8f0f2b6f4f6a6d1c3e1e2c0b9a7d6e5f4c3b2a1908f7e6d5c4b3a291807f6e\n"
        "      labels:\n" + labels.replace("    ", "        ") + "        app.kubernetes.io/component: frontend\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: nginx\n"
        "          image: docker.io/bitnami/nginx:1.25.2-debian-11-r32\n"
        "          imagePullPolicy: IfNotPresent\n"
        "          ports:\n"
        "            - name: http\n"
        "              containerPort: 8080\n"
        "        - name: auth-proxy\n"
        f"          image: {proxy_image}\n"
        "          imagePullPolicy: IfNotPresent\n"
        "          args:\n" + args + "          env:\n" + env + "          ports:\n"
        "            - name: proxy\n"
        "              containerPort: 3000\n"
    )


def helm_release_secret(
    name: str, ns: str, revision: int, status: str, chart: str, version: str, app_version: str, config: dict[str, Any]
) -> dict[str, Any]:
    """A Helm 3 release record as ``kubectl get secret -l owner=helm -o yaml`` shows it: the release
    JSON gzipped and base64-encoded (helm/helm pkg/storage/driver/util.go ``encodeRelease``), then
    base64-encoded again as the Secret's ``data.release``."""
    payload = {
        "name": name,
        "info": {
            "first_deployed": ts(-86400 * 30),
            "last_deployed": ts(-86400 * (3 - revision)),
            "deleted": "",
            "description": "Upgrade complete" if revision > 1 else "Install complete",
            "status": status,
        },
        "chart": {
            "metadata": {
                "name": chart,
                "version": version,
                "description": "Kubeapps is a web-based UI for launching and managing applications on Kubernetes clusters.",
                "apiVersion": "v2",
                "appVersion": app_version,
            },
            "values": {"authProxy": {"enabled": False, "provider": "", "additionalFlags": []}},
        },
        "config": config,
        "manifest": "---\n# Source: kubeapps/templates/frontend/deployment.yaml\n",
        "version": revision,
        "namespace": ns,
    }
    helm_text = base64.b64encode(gzip.compress(json.dumps(payload).encode(), compresslevel=9, mtime=0)).decode()
    secret_name = f"sh.helm.release.v1.{name}.v{revision}"
    return {
        "apiVersion": "v1",
        "data": {"release": base64.b64encode(helm_text.encode()).decode()},
        "kind": "Secret",
        "metadata": {
            "creationTimestamp": ts(-86400 * (3 - revision)),
            "labels": {
                "modifiedAt": str(NOW - 86400 * (3 - revision)),
                "name": name,
                "owner": "helm",
                "status": status,
                "version": str(revision),
            },
            "name": secret_name,
            "namespace": ns,
            "resourceVersion": rv("secret", secret_name),
            "uid": uid("secret", secret_name),
        },
        "type": "helm.sh/release.v1",
    }


# --- oauth2-proxy (oauth2-proxy/manifests chart) -----------------------------------------------

_O2P_SECRET_ENV = (
    ("OAUTH2_PROXY_CLIENT_ID", "client-id"),
    ("OAUTH2_PROXY_CLIENT_SECRET", "client-secret"),
    ("OAUTH2_PROXY_COOKIE_SECRET", "cookie-secret"),
)
_O2P_CONFIG_MOUNT = {
    "mountPath": "/etc/oauth2_proxy/oauth2_proxy.cfg",
    "name": "configmain",
    "subPath": "oauth2_proxy.cfg",
}
_O2P_CONFIG_VOLUME = {"configMap": {"defaultMode": 420, "name": "oauth2-proxy"}, "name": "configmain"}
#: The args of the oauth2-proxy chart (7.8) in front of Headlamp, without ``--pass-authorization-header``.
HEADLAMP_PROXY_ARGS = [
    "--http-address=0.0.0.0:4180",
    "--https-address=0.0.0.0:4443",
    "--metrics-address=0.0.0.0:44180",
    "--cookie-refresh=1m",
    f"--oidc-issuer-url={KEYCLOAK}",
    "--provider=oidc",
    "--scope=openid email groups",
    "--upstream=http://headlamp.headlamp.svc.cluster.local:80",
    "--config=/etc/oauth2_proxy/oauth2_proxy.cfg",
]


def oauth2_proxy_deployment(args: list[str], ns: str = "headlamp") -> dict[str, Any]:
    """The oauth2-proxy chart's Deployment as ``kubectl get deploy -o yaml`` shows it."""
    selector = {"app.kubernetes.io/instance": "oauth2-proxy", "app.kubernetes.io/name": "oauth2-proxy"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "annotations": {
                "deployment.kubernetes.io/revision": "4",
                "meta.helm.sh/release-name": "oauth2-proxy",
                "meta.helm.sh/release-namespace": ns,
            },
            "creationTimestamp": ts(-86400 * 5),
            "generation": 4,
            "labels": {
                "app": "oauth2-proxy",
                "app.kubernetes.io/component": "authentication-proxy",
                "app.kubernetes.io/instance": "oauth2-proxy",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/name": "oauth2-proxy",
                "app.kubernetes.io/part-of": "oauth2-proxy",
                "app.kubernetes.io/version": "7.7.1",
                "helm.sh/chart": "oauth2-proxy-7.8.1",
            },
            "managedFields": [managed("helm", "Update", {"f:spec": {"f:template": {}}}, api="apps/v1")],
            "name": "oauth2-proxy",
            "namespace": ns,
            "resourceVersion": rv("deploy", "oauth2-proxy"),
            "uid": uid("deploy", "oauth2-proxy"),
        },
        "spec": {
            "progressDeadlineSeconds": 600,
            "replicas": 1,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": selector},
            "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": dict(selector)},
                "spec": {
                    "containers": [
                        {
                            "args": args,
                            "env": secret_env("oauth2-proxy", _O2P_SECRET_ENV),
                            "image": "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1",
                            "imagePullPolicy": "IfNotPresent",
                            "name": "oauth2-proxy",
                            "ports": [{"containerPort": 4180, "name": "http", "protocol": "TCP"}],
                            "volumeMounts": [_O2P_CONFIG_MOUNT],
                        }
                    ],
                    "volumes": [_O2P_CONFIG_VOLUME],
                },
            },
        },
        "status": {
            "availableReplicas": 1,
            "observedGeneration": 4,
            "readyReplicas": 1,
            "replicas": 1,
            "updatedReplicas": 1,
        },
    }


def oauth2_proxy_configmap(cfg: str, ns: str = "headlamp") -> dict[str, Any]:
    """The chart's ``oauth2-proxy`` ConfigMap holding ``oauth2_proxy.cfg``."""
    return {
        "apiVersion": "v1",
        "data": {"oauth2_proxy.cfg": cfg},
        "kind": "ConfigMap",
        "metadata": {
            "annotations": {"meta.helm.sh/release-name": "oauth2-proxy", "meta.helm.sh/release-namespace": ns},
            "creationTimestamp": ts(-86400 * 5),
            "labels": {
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/name": "oauth2-proxy",
                "helm.sh/chart": "oauth2-proxy-7.8.1",
            },
            "name": "oauth2-proxy",
            "namespace": ns,
            "resourceVersion": rv("cm", "oauth2-proxy"),
            "uid": uid("cm", "oauth2-proxy"),
        },
    }


#: The chart's default config file (its ``upstreams`` is overridden by ``--upstream``).
CHART_PROXY_CFG = 'email_domains = [ "*" ]\nupstreams = [ "file:///dev/null" ]'


def oauth2_proxy_chart(args: list[str]) -> dict[str, Any]:
    """``kubectl -n headlamp get deploy,cm -o yaml`` of an oauth2-proxy chart install."""
    return klist([oauth2_proxy_deployment(args), oauth2_proxy_configmap(CHART_PROXY_CFG)])


def oauth2_proxy_with_config_file(cfg: str, ns: str = "auth") -> dict[str, Any]:
    """A hand-written oauth2-proxy Deployment reading its settings from ``oauth2_proxy.cfg``, and its ConfigMap."""
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "labels": {"app.kubernetes.io/name": "oauth2-proxy", "helm.sh/chart": "oauth2-proxy-7.8.1"},
            "name": "oauth2-proxy",
            "namespace": ns,
            "resourceVersion": rv("d", "o2p"),
            "uid": uid("d", "o2p"),
        },
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": "oauth2-proxy"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "oauth2-proxy"}},
                "spec": {
                    "containers": [
                        {
                            "args": [
                                "--http-address=0.0.0.0:4180",
                                "--metrics-address=0.0.0.0:44180",
                                "--config=/etc/oauth2_proxy/oauth2_proxy.cfg",
                            ],
                            "env": secret_env("oauth2-proxy", _O2P_SECRET_ENV[1:]),
                            "image": "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1",
                            "name": "oauth2-proxy",
                            "volumeMounts": [_O2P_CONFIG_MOUNT],
                        }
                    ],
                    "volumes": [_O2P_CONFIG_VOLUME],
                },
            },
        },
    }
    cm = {
        "apiVersion": "v1",
        "data": {"oauth2_proxy.cfg": cfg},
        "kind": "ConfigMap",
        "metadata": {
            "name": "oauth2-proxy",
            "namespace": ns,
            "resourceVersion": rv("cm", "o2p"),
            "uid": uid("cm", "o2p"),
        },
    }
    return klist([deploy, cm])


# --- Ingresses ---------------------------------------------------------------------------------


def ingress(
    name: str,
    host: str,
    port: dict[str, Any],
    annotations: dict[str, str],
    chart: str,
    days: int,
    generation: int,
    path_type: str,
    tls_secret: str,
    ip: str,
) -> dict[str, Any]:
    """An ingress-nginx Ingress of a Helm release, as ``kubectl get ingress -o yaml`` shows it."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "annotations": {"meta.helm.sh/release-name": name, "meta.helm.sh/release-namespace": name, **annotations},
            "creationTimestamp": ts(-86400 * days),
            "generation": generation,
            "labels": {
                "app.kubernetes.io/instance": name,
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/name": name,
                "helm.sh/chart": chart,
            },
            "name": name,
            "namespace": name,
            "resourceVersion": rv("ing", name),
            "uid": uid("ing", name),
        },
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {"backend": {"service": {"name": name, "port": port}}, "path": "/", "pathType": path_type}
                        ]
                    },
                }
            ],
            "tls": [{"hosts": [host], "secretName": tls_secret}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": ip}]}},
    }


def kubeapps_ingress() -> dict[str, Any]:
    """Kubeapps' Ingress (chart 14.1.2)."""
    return ingress(
        "kubeapps",
        "kubeapps.example.com",
        {"name": "http"},
        {"nginx.ingress.kubernetes.io/proxy-read-timeout": "600"},
        "kubeapps-14.1.2",
        20,
        1,
        "ImplementationSpecific",
        "kubeapps.example.com-tls",
        "203.0.113.40",
    )


def headlamp_ingress(annotations: dict[str, str]) -> dict[str, Any]:
    """Headlamp's Ingress as ``kubectl -n headlamp get ingress headlamp -o yaml`` shows it."""
    return ingress(
        "headlamp",
        "headlamp.example.com",
        {"number": 80},
        annotations,
        "headlamp-0.25.0",
        4,
        2,
        "Prefix",
        "headlamp-tls",
        "203.0.113.41",
    )


def auth_url_annotations(response_headers: str) -> dict[str, str]:
    """ingress-nginx's external-auth annotations pointing at oauth2-proxy's ``/oauth2/auth``."""
    return {
        "nginx.ingress.kubernetes.io/auth-url": "https://$host/oauth2/auth",
        "nginx.ingress.kubernetes.io/auth-signin": "https://$host/oauth2/start?rd=$escaped_request_uri",
        "nginx.ingress.kubernetes.io/auth-response-headers": response_headers,
    }


# --- Headlamp's own OIDC login (kubernetes-sigs/headlamp) --------------------------------------


def headlamp_helm_template(oidc: dict[str, str]) -> str:
    """``helm template headlamp headlamp/headlamp -n headlamp --version 0.45.0 --set config.oidc.secret.create=false
    --set config.oidc.clientID=... ...`` (Service and Deployment), as chart 0.45.0 renders it: the
    ``config.oidc`` values become literal ``OIDC_*`` env and ``-oidc-*=$(OIDC_*)`` args
    (``charts/headlamp/templates/deployment.yaml``)."""
    labels = (
        "    helm.sh/chart: headlamp-0.45.0\n"
        "    app.kubernetes.io/name: headlamp\n"
        "    app.kubernetes.io/instance: headlamp\n"
        '    app.kubernetes.io/version: "0.45.0"\n'
        "    app.kubernetes.io/managed-by: Helm\n"
    )
    selector = "app.kubernetes.io/name: headlamp\n{i}app.kubernetes.io/instance: headlamp\n"
    env_names = {
        "clientID": "OIDC_CLIENT_ID",
        "clientSecret": "OIDC_CLIENT_SECRET",
        "issuerURL": "OIDC_ISSUER_URL",
        "scopes": "OIDC_SCOPES",
    }
    flags = {
        "clientID": "-oidc-client-id",
        "clientSecret": "-oidc-client-secret",
        "issuerURL": "-oidc-idp-issuer-url",
        "scopes": "-oidc-scopes",
    }
    env = "".join(
        f"            - name: {env_names[k]}\n              value: {oidc[k]}\n" for k in env_names if oidc.get(k)
    )
    args = "".join(
        "            # Check if " + k + " is non empty either from env or oidc.config\n"
        f'            - "{flags[k]}=$({env_names[k]})"\n'
        for k in env_names
        if oidc.get(k)
    )
    probe = (
        "            httpGet:\n"
        '              path: "/"\n'
        "              port: http\n"
        "              scheme: HTTP\n"
        "            initialDelaySeconds: 0\n"
        "            periodSeconds: 10\n"
        "            timeoutSeconds: 1\n"
        "            successThreshold: 1\n"
        "            failureThreshold: 3\n"
    )
    return (
        "---\n"
        "# Source: headlamp/templates/service.yaml\n"
        "apiVersion: v1\n"
        "kind: Service\n"
        "metadata:\n"
        "  name: headlamp\n"
        "  namespace: headlamp\n"
        "  labels:\n" + labels + "spec:\n"
        "  type: ClusterIP\n"
        "  ports:\n"
        "    - port: 80\n"
        "      targetPort: http\n"
        "      protocol: TCP\n"
        "      name: http\n"
        "  selector:\n"
        "    " + selector.format(i="    ") + "---\n"
        "# Source: headlamp/templates/deployment.yaml\n"
        "# This block of code is used to extract the values from the env.\n"
        "# This is done to check if the values are non-empty and if they are, they are used in the deployment.yaml.\n"
        "\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: headlamp\n"
        "  namespace: headlamp\n"
        "  labels:\n" + labels + "spec:\n"
        "  replicas: 1\n"
        "  selector:\n"
        "    matchLabels:\n"
        "      " + selector.format(i="      ") + "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        "        " + selector.format(i="        ") + "    spec:\n"
        "      serviceAccountName: headlamp\n"
        "      automountServiceAccountToken: true\n"
        "      hostUsers: true\n"
        "      securityContext:\n"
        "        {}\n"
        "      containers:\n"
        "        - name: headlamp\n"
        "          securityContext:\n"
        "            privileged: false\n"
        "            runAsGroup: 101\n"
        "            runAsNonRoot: true\n"
        "            runAsUser: 100\n"
        '          image: "ghcr.io/headlamp-k8s/headlamp:v0.45.0"\n'
        "          imagePullPolicy: IfNotPresent\n"
        "          \n"
        "          env:\n" + env + "          args:\n"
        '            - "-in-cluster"\n'
        '            - "-in-cluster-context-name=main"\n'
        '            - "-plugins-dir=/headlamp/plugins"\n'
        '            - "-session-ttl=86400"\n'
        "            # Check if externalSecret is disabled\n" + args + "          ports:\n"
        "            - name: http\n"
        "              containerPort: 4466\n"
        "              protocol: TCP\n"
        "          livenessProbe:\n" + probe + "          readinessProbe:\n" + probe + "          resources:\n"
        "            {}\n"
    )


# --- kube-oidc-proxy (jetstack/kube-oidc-proxy: validates the token with kube-apiserver's own OIDC flags,
# then impersonates the user towards an API server that has no OIDC settings) ---


def kube_oidc_proxy(issuer: str = KEYCLOAK, client_id: str = "kube-oidc-proxy", *extra: str) -> dict[str, Any]:
    """A kube-oidc-proxy Deployment as written by hand (its chart's flags: the issuer URL, then the client
    id as a separate word, as `--oidc-client-id kube-oidc-proxy` may be written)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "kube-oidc-proxy", "namespace": "kube-oidc-proxy"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "kube-oidc-proxy",
                            "image": "quay.io/jetstack/kube-oidc-proxy:v1.0.6",
                            "command": [
                                "kube-oidc-proxy",
                                "--secure-port=443",
                                "--tls-cert-file=/etc/oidc/tls/crt.pem",
                                "--tls-private-key-file=/etc/oidc/tls/key.pem",
                                f"--oidc-issuer-url={issuer}",
                                "--oidc-client-id",
                                client_id,
                                *extra,
                            ],
                        }
                    ]
                }
            }
        },
    }
