"""Find oauth2-proxy containers in workloads and read their settings with oauth2-proxy's precedence.

Precedence (upstream ``pkg/apis/options/load.go``, viper): a flag given on the command line beats
an ``OAUTH2_PROXY_*`` environment variable, which beats the TOML file of ``--config``, which beats
the flag's default. List options take the plural config key in the file and in the environment
(``OAUTH2_PROXY_EMAIL_DOMAINS``); the singular form is silently ignored. With ``--alpha-config``
the provider and header options come from the YAML file only (``main.go`` ``loadYamlOptions``).

Values from Secrets (``secretKeyRef``, ``envFrom.secretRef``) are named, never read: their value
is unknown here. Every value records where it came from.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from oidc_doctor.clients import Setting
from oidc_doctor.gosyntax import Syntax, go_bool, go_duration, go_duration_str, split_flags
from oidc_doctor.proxy.alpha import alpha_settings as read_alpha
from oidc_doctor.proxy.objects import ConfigProblem, as_dict, as_list, dicts
from oidc_doctor.proxy.options import BY_CFG, LEGACY_ONLY, MAIN_FLAGS, OPTIONS, OptionType, option
from oidc_doctor.proxy.providers import Version, version_from_image
from oidc_doctor.text import clean

#: Defaults of the options the checks read (upstream flag registrations and ``NewLegacyOptions``).
DEFAULTS: dict[str, Any] = {
    "provider": "google",
    "cookie-refresh": 0.0,
    "cookie-expire": 168 * 3600.0,
    "cookie-secret": "",
    "pass-authorization-header": False,
    "set-authorization-header": False,
    "pass-access-token": False,
    "set-xauthrequest": False,
    "skip-jwt-bearer-tokens": False,
    "scope": "",
    "client-id": "",
    "oidc-issuer-url": "",
    "oidc-groups-claim": "groups",
    "oidc-email-claim": "email",
    "user-id-claim": "email",
    "upstream": [],
    "reverse-proxy": False,
}


_VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


#: The kind of a workload known only by a chart's values file (no Deployment in the evidence): its
#: refs name the file, and fixes say RELEASE and NAMESPACE.
VALUES_WORKLOAD = "values"


@dataclass
class Workload:
    """The workload around a proxy container."""

    kind: str
    namespace: str
    name: str
    labels: dict[str, str]
    ref: str
    data: dict[str, Any]

    @property
    def short(self) -> str:
        """``deploy kubeapps/kubeapps``."""
        k = {"Deployment": "deploy", "StatefulSet": "sts", "DaemonSet": "ds", "Pod": "pod"}.get(
            self.kind, self.kind.lower()
        )
        return f"{k} {self.namespace}/{self.name}"


@dataclass
class ProxyInstance:
    """One oauth2-proxy container found in a workload."""

    workload: Workload
    container: dict[str, Any]
    container_name: str
    index: int
    image: str
    version: Version | None
    kubeapps: bool

    @property
    def ref(self) -> str:
        """``deploy kubeapps/kubeapps container auth-proxy`` (``oauth2-proxy chart values FILE``
        for a proxy known only by its chart values: :mod:`oidc_doctor.proxy.chart`)."""
        if self.workload.kind == VALUES_WORKLOAD:
            return f"oauth2-proxy chart values {self.workload.ref}"
        return f"{self.workload.short} container {self.container_name}"


@dataclass
class ProxyConfig:
    """A proxy's effective settings, with sources, and what is wrong with them."""

    instance: ProxyInstance
    settings: dict[str, Setting] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)
    #: Environment variables whose values live in Secrets (named, never read).
    secret_env: list[str] = field(default_factory=list)
    #: Sources that may set any option but could not be read (envFrom a Secret, an unseen file).
    hidden_sources: list[str] = field(default_factory=list)
    config_file: str | None = None  # the --config path
    config_file_ref: str | None = None  # where its content was read, None when not seen
    config_file_why: str = "file not in the evidence"  # why it was not seen
    alpha_config: str | None = None
    alpha_config_ref: str | None = None
    alpha: dict[str, Any] | None = None
    #: Set by the Kubeapps logic: chart facts and values (see ``oidc_doctor.proxy.kubeapps``).
    kubeapps: Any = None
    #: Set for a proxy known by its oauth2-proxy chart values: where its options are set
    #: (``oidc_doctor.clients.HelmValues``).
    chart: Any = None

    def get(self, flag: str) -> Setting:
        """The effective setting; the default when nothing sets it and every source was seen."""
        s = self.settings.get(flag)
        if s is not None:
            return s
        blind = self._blind_for(flag)
        if blind:
            return Setting(flag, None, "unknown", blind)
        return Setting(flag, DEFAULTS.get(flag), "default", self.instance.ref)

    def _blind_for(self, flag: str) -> str:
        reasons = []
        if self.config_file and self.config_file_ref is None:
            reasons.append(f"--config={self.config_file} ({self.config_file_why})")
        if self.alpha_config and self.alpha_config_ref is None and flag in LEGACY_ONLY:
            reasons.append(f"--alpha-config={self.alpha_config} (file not in the evidence)")
        reasons += self.hidden_sources
        return "; ".join(reasons)


# --- finding proxies ------------------------------------------------------------------------

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Pod")


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod spec of a workload (``spec.template.spec``) or of a Pod (``spec``)."""
    spec = as_dict(obj.get("spec"))
    if obj.get("kind") == "Pod":
        return spec if isinstance(spec, dict) else {}
    inner = as_dict(spec.get("template")).get("spec") if isinstance(spec, dict) else None
    return inner if isinstance(inner, dict) else {}


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    cs = as_list(pod_spec(obj).get("containers"))
    return [c for c in cs if isinstance(c, dict)]


def is_oauth2_proxy(container: dict[str, Any]) -> bool:
    """Kubeapps' ``auth-proxy``, or any container whose image or command names oauth2-proxy."""
    if container.get("name") == "auth-proxy":
        return True
    image = str(container.get("image") or "")
    if "oauth2-proxy" in image or "oauth2_proxy" in image:
        return True
    command = as_list(container.get("command"))
    return any("oauth2-proxy" in str(c) or "oauth2_proxy" in str(c) for c in command[:1])


def workload_of(obj: dict[str, Any], ref: str) -> Workload | None:
    """A :class:`Workload` for a Deployment/StatefulSet/DaemonSet/Pod dict, None for anything else."""
    if not isinstance(obj, dict) or obj.get("kind") not in WORKLOAD_KINDS:
        return None
    meta = as_dict(obj.get("metadata"))
    labels = {str(k): str(v) for k, v in as_dict(meta.get("labels")).items()}
    return Workload(
        kind=str(obj["kind"]),
        namespace=str(meta.get("namespace") or "default"),
        name=str(meta.get("name") or ""),
        labels=labels,
        ref=ref,
        data=obj,
    )


def find_proxies(obj: dict[str, Any], ref: str) -> list[ProxyInstance]:
    """Every oauth2-proxy container of one workload, found by name/image/command, never by index."""
    if not isinstance(obj, dict) or not any(is_oauth2_proxy(c) for c in _containers(obj)):
        return []  # most workloads of a cluster: no Workload record is built for them
    wl = workload_of(obj, ref)
    if wl is None:
        return []
    is_kubeapps = wl.labels.get("app.kubernetes.io/name") == "kubeapps" or wl.labels.get(
        "helm.sh/chart", ""
    ).startswith("kubeapps-")
    out = []
    for i, c in enumerate(_containers(obj)):
        if not is_oauth2_proxy(c):
            continue
        image = str(c.get("image") or "")
        name = str(c.get("name") or f"#{i}")
        out.append(
            ProxyInstance(
                workload=wl,
                container=c,
                container_name=name,
                index=i,
                image=image,
                version=version_from_image(image),
                kubeapps=is_kubeapps and name == "auth-proxy",
            )
        )
    return out


# --- reading settings -----------------------------------------------------------------------


def parse_value(typ: OptionType, raw: str) -> tuple[Any, str | None]:
    """Parse a flag/env string; returns (value, problem)."""
    if typ == "bool":
        b = go_bool(raw)
        return (b, None) if b is not None else (None, f"invalid boolean {raw!r}")
    if typ == "duration":
        d = go_duration(raw)
        return (d, None) if d is not None else (None, f"invalid duration {raw!r}")
    if typ == "int":
        try:
            return int(raw), None
        except ValueError:
            return None, f"invalid integer {raw!r}"
    if typ == "list":
        return [p for p in raw.split(",") if p != ""], None
    return raw, None


def is_bool_flag(name: str) -> bool:
    """Whether oauth2-proxy registers ``--name`` as a boolean (it then never takes the next word)."""
    return OPTIONS.get(name, ("", MAIN_FLAGS.get(name, "str")))[1] == "bool"


def _expand(raw: str, literal_env: dict[str, str]) -> tuple[str, list[str]]:
    """Kubernetes ``$(VAR)`` expansion in args; returns text and names that could not be expanded."""
    missing: list[str] = []

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in literal_env:
            return literal_env[name]
        missing.append(name)
        return m.group(0)

    return _VAR_REF.sub(sub, raw), missing


def _mount_source(spec: dict[str, Any], container: dict[str, Any], path: str) -> tuple[str, str, str] | None:
    """Which volume a file path comes from: (volume kind, object name, key) or None."""
    best: tuple[int, dict[str, Any]] | None = None
    for m in dicts(container.get("volumeMounts")):
        mp = str(m.get("mountPath") or "").rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > best[0]:
                best = (len(mp), m)
    if best is None:
        return None
    mount = best[1]
    mp = str(mount.get("mountPath") or "").rstrip("/")
    rel = str(mount.get("subPath") or "") or path[len(mp) :].lstrip("/")
    for v in dicts(spec.get("volumes")):
        if v.get("name") != mount.get("name"):
            continue
        for kind, name_key in (("configMap", "name"), ("secret", "secretName")):
            src = v.get(kind)
            if isinstance(src, dict):
                key = rel
                for item in dicts(src.get("items")):
                    if item.get("path") == rel:
                        key = str(item.get("key"))
                return kind, str(src.get(name_key) or ""), key
        return "other", str(mount.get("name")), rel
    return None


def _configmap_key(
    configmaps: list[tuple[str, dict[str, Any]]], namespace: str, name: str, key: str
) -> tuple[str, str] | None:
    for ref, cm in configmaps:
        meta = as_dict(cm.get("metadata"))
        if meta.get("name") == name and (meta.get("namespace") or namespace) == namespace:
            data = as_dict(cm.get("data"))
            if isinstance(data.get(key), str):
                return data[key], ref
    return None


def read_settings(
    inst: ProxyInstance,
    configmaps: list[tuple[str, dict[str, Any]]],
) -> ProxyConfig:
    """Resolve the proxy's settings from args, env, a mounted TOML file and alpha config."""
    cfg = ProxyConfig(instance=inst)
    c = inst.container
    where = inst.ref
    ns = inst.workload.namespace
    spec_of_pod = pod_spec(inst.workload.data)

    # Environment first (needed for $(VAR) expansion), recorded at env precedence.
    literal_env: dict[str, str] = {}
    env_settings: dict[str, Setting] = {}
    explicit_names: set[str] = set()
    for i, e in enumerate(as_list(c.get("env"))):
        if not isinstance(e, dict):
            continue
        name = str(e.get("name") or "")
        explicit_names.add(name)
        ref = f"{where} env[{i}] {name}"
        value_from = as_dict(e.get("valueFrom"))
        raw: str | None = None
        source = "env"
        if "value" in e:
            raw = str(e.get("value") if e.get("value") is not None else "")
            literal_env[name] = raw
        elif isinstance(value_from.get("secretKeyRef"), dict):
            sk = value_from["secretKeyRef"]
            source = "env-secret"
            ref = f"{ref} from Secret {sk.get('name')} key {sk.get('key')}"
            cfg.secret_env.append(f"{name} (Secret {sk.get('name')} key {sk.get('key')})")
        elif isinstance(value_from.get("configMapKeyRef"), dict):
            ck = value_from["configMapKeyRef"]
            found = _configmap_key(configmaps, ns, str(ck.get("name")), str(ck.get("key")))
            if found:
                raw = found[0]
                ref = f"{ref} from ConfigMap {ck.get('name')} key {ck.get('key')}"
            else:
                source = "unknown"
                ref = f"{ref} from ConfigMap {ck.get('name')} key {ck.get('key')} (not in the evidence)"
        else:
            source = "unknown"
            ref = f"{ref} (valueFrom)"
        if name.startswith("OAUTH2_PROXY_"):
            _env_option(cfg, env_settings, name, raw, source, ref)
    for i, ef in enumerate(as_list(c.get("envFrom"))):
        if not isinstance(ef, dict):
            continue
        prefix = str(ef.get("prefix") or "")
        if isinstance(ef.get("secretRef"), dict):
            cfg.hidden_sources.append(f"{where} envFrom[{i}] Secret {ef['secretRef'].get('name')}")
        elif isinstance(ef.get("configMapRef"), dict):
            cm_name = str(ef["configMapRef"].get("name"))
            hit = [cm for r, cm in configmaps if as_dict(cm.get("metadata")).get("name") == cm_name]
            if not hit:
                cfg.hidden_sources.append(f"{where} envFrom[{i}] ConfigMap {cm_name} (not in the evidence)")
                continue
            for k, v in as_dict(hit[0].get("data")).items():
                name = prefix + str(k)
                if name.startswith("OAUTH2_PROXY_") and name not in explicit_names:
                    literal_env.setdefault(name, str(v))
                    ref = f"{where} envFrom[{i}] ConfigMap {cm_name} key {k}"
                    _env_option(cfg, env_settings, name, str(v), "env", ref, weak=True)

    # Flags: command (after the binary) and args, $(VAR) expanded like the kubelet does.
    argv: list[tuple[str, str]] = []
    for label in ("command", "args"):
        for j, a in enumerate(as_list(c.get(label))):
            argv.append((f"{label}[{j}]", str(a)))
    words = [w for _, w in argv]
    flag_settings: dict[str, Setting] = {}
    for pos, name, raw in split_flags(words, is_bool_flag, Syntax.PFLAG):
        ref = f"{where} {argv[pos][0]}"
        if name.startswith("-"):
            if words[pos].startswith("--"):
                # spf13/pflag parseLongArg: a long flag's name may not start with '-' ("---", "---x");
                # `name[1]` below would not even exist for "---"
                cfg.problems.append(ConfigProblem(f"bad flag syntax: {words[pos]}", ref, name))
            else:
                cfg.problems.append(ConfigProblem(f"unknown shorthand flag: {name[1]!r} in {name}", ref, name))
            continue
        if raw is not None:
            raw, missing = _expand(raw, literal_env)
            if missing:
                flag_settings[name] = Setting(name, None, "env-secret", f"{ref} uses $({', '.join(missing)})", raw)
                continue
        opt = option(name)
        if name not in OPTIONS and name not in MAIN_FLAGS:
            cfg.problems.append(ConfigProblem(f"unknown flag: --{name}", ref, name))
            continue
        if raw is None:
            if opt.type != "bool":
                cfg.problems.append(ConfigProblem(f"flag needs an argument: --{name}", ref, name))
                continue
            raw = "true"
        value, problem = parse_value(opt.type, raw)
        if problem:
            cfg.problems.append(ConfigProblem(f'invalid argument "{raw}" for "--{name}" flag: {problem}', ref, name))
            continue
        if opt.type == "list" and name in flag_settings and flag_settings[name].known:
            prev = flag_settings[name]
            value = [*prev.value, *value]
            ref = f"{prev.ref}, {argv[pos][0]}"
        flag_settings[name] = Setting(name, value, "flag", ref, raw if opt.type != "list" else None)

    def main_flag(name: str) -> str | None:
        s = flag_settings.get(name) or env_settings.get(name)
        return str(s.value) if s is not None and s.known and s.value else None

    cfg.config_file = main_flag("config")
    cfg.alpha_config = main_flag("alpha-config")

    file_settings: dict[str, Setting] = {}
    if cfg.config_file:
        src = _mount_source(spec_of_pod, c, cfg.config_file)
        text_ref = _file_text(src, configmaps, ns)
        if src and src[0] == "secret":
            cfg.config_file_why = f"mounted from Secret {src[1]}, which is never read"
        elif src and src[0] == "configMap" and text_ref is None:
            cfg.config_file_why = f"ConfigMap {ns}/{src[1]} key {src[2]} not in the evidence"
        elif text_ref is not None:
            text, cm_ref = text_ref
            cfg.config_file_ref = f"{cm_ref} key {src[2] if src else '?'}"
            file_settings = _toml_settings(cfg, text, cfg.config_file_ref)

    alpha_settings: dict[str, Setting] = {}
    if cfg.alpha_config:
        src = _mount_source(spec_of_pod, c, cfg.alpha_config)
        text_ref = _file_text(src, configmaps, ns)
        if text_ref is not None:
            text, cm_ref = text_ref
            cfg.alpha_config_ref = f"{cm_ref} key {src[2] if src else '?'}"
            cfg.alpha, alpha_settings, problems = read_alpha(text, cfg.alpha_config_ref)
            cfg.problems.extend(problems)
        # main.go loadYamlOptions parses the args again with the non-legacy flag set and loads the
        # TOML file with viper's UnmarshalExact; the environment only binds known keys.
        for name, s in flag_settings.items():
            if name in LEGACY_ONLY:
                cfg.problems.append(
                    ConfigProblem(
                        f"failed to load yaml options: failed to load core options: failed to parse flags: "
                        f"unknown flag: --{name} (with --alpha-config, set it in the alpha config)",
                        s.ref,
                        name,
                    )
                )
        legacy_keys = sorted(OPTIONS[n][0] for n in file_settings if n in LEGACY_ONLY)
        if legacy_keys:
            cfg.problems.append(
                ConfigProblem(
                    "failed to load yaml options: the --config file has keys that alpha config replaces: "
                    + ", ".join(legacy_keys),
                    cfg.config_file_ref or "",
                )
            )
        for name, s in env_settings.items():
            if name in LEGACY_ONLY:
                cfg.problems.append(
                    ConfigProblem(
                        f"{option(name).env} is ignored with --alpha-config (set it in the alpha config)", s.ref, name
                    )
                )
        # Under alpha config the legacy options are defined by the YAML alone.
        file_settings = {k: v for k, v in file_settings.items() if k not in LEGACY_ONLY}
        env_settings = {k: v for k, v in env_settings.items() if k not in LEGACY_ONLY}
        flag_settings = {k: v for k, v in flag_settings.items() if k not in LEGACY_ONLY}
        if cfg.alpha_config_ref is not None:
            for flag in ("pass-authorization-header", "set-authorization-header", "pass-access-token"):
                alpha_settings.setdefault(flag, Setting(flag, False, "alpha-config", cfg.alpha_config_ref))

    # Precedence: flag > env > config file > (alpha config for its options) > default.
    for layer in (alpha_settings, file_settings, env_settings, flag_settings):
        cfg.settings.update(layer)
    return cfg


def _env_option(
    cfg: ProxyConfig,
    out: dict[str, Setting],
    name: str,
    raw: str | None,
    source: str,
    ref: str,
    weak: bool = False,
) -> None:
    key = name[len("OAUTH2_PROXY_") :].lower()
    flag = BY_CFG.get(key)
    if flag is None:
        singular = [f for f, (cfgkey, typ) in OPTIONS.items() if typ == "list" and f.replace("-", "_") == key]
        if singular:
            right = "OAUTH2_PROXY_" + OPTIONS[singular[0]][0].upper()
            cfg.problems.append(
                ConfigProblem(
                    f"{name} is ignored: oauth2-proxy reads list options from the plural {right}", ref, singular[0]
                )
            )
        elif key not in ("config", "alpha_config"):
            cfg.problems.append(ConfigProblem(f"{name} is not an oauth2-proxy option and is ignored", ref, key))
        if key in ("config", "alpha_config") and raw is not None:
            flag = key.replace("_", "-")
            out[flag] = Setting(flag, raw, source, ref, raw)
        return
    if weak and flag in out:
        return
    if raw is None:
        out[flag] = Setting(flag, None, source, ref)
        return
    typ = OPTIONS[flag][1]
    value, problem = parse_value(typ, raw)
    if problem:
        cfg.problems.append(ConfigProblem(f"{name}: {problem}", ref, flag))
        return
    out[flag] = Setting(flag, value, source, ref, raw if typ != "list" else None)


def _file_text(
    src: tuple[str, str, str] | None, configmaps: list[tuple[str, dict[str, Any]]], ns: str
) -> tuple[str, str] | None:
    if src is None or src[0] != "configMap":
        return None
    found = _configmap_key(configmaps, ns, src[1], src[2])
    if found is None:
        return None
    text, ref = found
    return text, f"{ref} ConfigMap {ns}/{src[1]}" if "ConfigMap" not in ref else ref


def _toml_value(typ: OptionType, value: Any) -> tuple[Any, str | None]:
    """A TOML value as viper decodes it into the option's Go type (weakly typed input)."""
    scalar = isinstance(value, (str, int, float, bool))
    if typ == "duration":
        if isinstance(value, str):
            return parse_value("duration", value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value / 1e9, None  # mapstructure turns a bare number into nanoseconds
    elif typ == "list":
        if isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value):
            return [str(v) for v in value], None
        if isinstance(value, str):
            return [p for p in value.split(",") if p], None  # viper's StringToSliceHookFunc(",")
    elif typ == "bool":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str):
            return parse_value("bool", value)
        if isinstance(value, (int, float)):
            return value != 0, None
    elif typ == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        if isinstance(value, str):
            return parse_value("int", value)
    elif scalar:
        return (("1" if value else "0") if isinstance(value, bool) else str(value)), None
    return None, f"cannot decode {type(value).__name__} into a {typ} option"


def _toml_settings(cfg: ProxyConfig, text: str, ref: str) -> dict[str, Setting]:
    """Settings of an oauth2-proxy TOML config file (keys are config keys, lists plural)."""
    out: dict[str, Setting] = {}
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        cfg.problems.append(ConfigProblem(f"unable to load config file: {clean(e)}", ref))
        return out
    unknown = []
    for key, value in doc.items():
        flag = BY_CFG.get(key)
        if flag is None:
            unknown.append(key)
            continue
        parsed, problem = _toml_value(OPTIONS[flag][1], value)
        if problem:
            cfg.problems.append(ConfigProblem(f"{key}: {problem}", ref, flag))
            continue
        out[flag] = Setting(flag, parsed, "config-file", f"{ref} {key}", value if isinstance(value, str) else None)
    if unknown:
        # viper UnmarshalExact (pkg/apis/options/load.go) refuses keys that map to no option.
        cfg.problems.append(
            ConfigProblem(
                "error unmarshalling config: the config file has invalid keys: " + ", ".join(sorted(unknown)),
                ref,
            )
        )
    return out


def problems_from_validation(cfg: ProxyConfig) -> list[ConfigProblem]:
    """The checks of upstream ``pkg/validation/cookie.go`` that can be judged from settings."""
    out: list[ConfigProblem] = []
    refresh = cfg.get("cookie-refresh")
    expire = cfg.get("cookie-expire")
    if (
        refresh.known
        and expire.known
        and isinstance(refresh.value, float)
        and isinstance(expire.value, float)
        and expire.value != 0
        and refresh.value >= expire.value
    ):
        out.append(
            ConfigProblem(
                f'cookie_refresh ("{go_duration_str(refresh.value)}") must be less than cookie_expire '
                f'("{go_duration_str(expire.value)}")',
                f"{refresh.ref}; {expire.ref}",
                "cookie-refresh",
            )
        )
    secret = cfg.get("cookie-secret")
    secret_file = cfg.get("cookie-secret-file")
    if secret.known and secret.source != "default" and isinstance(secret.value, str):
        from oidc_doctor.secrets import secret_bytes

        n = len(secret_bytes(secret.value))
        if n not in (16, 24, 32):
            out.append(
                ConfigProblem(
                    f"cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is {n} bytes",
                    secret.ref,
                    "cookie-secret",
                )
            )
    elif secret.source == "default" and secret_file.source == "default":
        out.append(
            ConfigProblem("missing setting: cookie-secret or cookie-secret-file", cfg.instance.ref, "cookie-secret")
        )
    return out
