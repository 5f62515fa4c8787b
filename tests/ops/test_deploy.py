"""The deployment files in deploy/: they parse, agree with each other and with the bot's settings, and keep
the rules that are easy to break by accident (one poller, non-root, a writable state volume, health checks,
webhook replicas that share one Redis).

External validators run when they are installed and are skipped otherwise: systemd-analyze, caddy,
redis-server.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from harness import WEBHOOK_SECRET, free_port, webhook_settings

from bot.ops.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
STATE_DIR = "/var/lib/http-status-bot"
UNIT = DEPLOY / "systemd" / "http-status-bot.service"

YAML_FILES = sorted(DEPLOY.rglob("*.yaml"))


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def k8s(name: str) -> dict[str, Any]:
    return load(K8S / name)


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env_of(workload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The container's `env` entries by name."""
    return {e["name"]: e for e in container(workload).get("env", [])}


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def redis_options(args: list[str]) -> dict[str, str]:
    """redis-server's `--name value` arguments as a mapping."""
    assert args[0] == "redis-server"
    pairs = args[1:]
    assert len(pairs) % 2 == 0 and all(p.startswith("--") for p in pairs[::2]), args
    return {name[2:]: value for name, value in zip(pairs[::2], pairs[1::2], strict=True)}


# The inbox keeps acknowledged updates that Telegram will never send again: every write is fsynced.
REDIS_DURABILITY = {"appendonly": "yes", "appendfsync": "always", "maxmemory-policy": "noeviction"}


# -- YAML ------------------------------------------------------------------------------------------


def test_there_are_manifests_to_check():
    names = {p.relative_to(DEPLOY).as_posix() for p in YAML_FILES}
    assert {"compose.yaml", "compose.webhook.yaml", "kubernetes/deployment-polling.yaml"} <= names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_every_yaml_file_parses_to_one_mapping(path):
    documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    assert len(documents) == 1 and isinstance(documents[0], dict)


# -- Kubernetes ------------------------------------------------------------------------------------

KINDS = {
    "secret.example.yaml": ("v1", "Secret"),
    "configmap.yaml": ("v1", "ConfigMap"),
    "pvc.yaml": ("v1", "PersistentVolumeClaim"),
    "deployment-polling.yaml": ("apps/v1", "Deployment"),
    "deployment-webhook.yaml": ("apps/v1", "Deployment"),
    "pdb-webhook.yaml": ("policy/v1", "PodDisruptionBudget"),
    "service.yaml": ("v1", "Service"),
    "ingress.yaml": ("networking.k8s.io/v1", "Ingress"),
    "servicemonitor.yaml": ("monitoring.coreos.com/v1", "ServiceMonitor"),
    "redis-statefulset.yaml": ("apps/v1", "StatefulSet"),
    "redis-service.yaml": ("v1", "Service"),
    "redis-networkpolicy.yaml": ("networking.k8s.io/v1", "NetworkPolicy"),
}
REDIS_FILES = ("redis-statefulset.yaml", "redis-service.yaml", "redis-networkpolicy.yaml")


def test_kubernetes_objects_have_the_expected_kinds():
    assert {p.name for p in K8S.glob("*.yaml")} == set(KINDS)
    for name, (api, kind) in KINDS.items():
        manifest = k8s(name)
        assert (manifest["apiVersion"], manifest["kind"]) == (api, kind), name
        labels = manifest["metadata"]["labels"]
        if name in REDIS_FILES:
            # Named redis, so that no selector of the bot's (app.kubernetes.io/name) picks the Redis pod.
            assert labels["app.kubernetes.io/name"] == "redis", name
            assert labels["app.kubernetes.io/part-of"] == "http-status-bot", name
        else:
            assert labels["app.kubernetes.io/name"] == "http-status-bot", name


def test_polling_runs_exactly_one_replica_and_says_why():
    deployment = k8s("deployment-polling.yaml")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    lines = (K8S / "deployment-polling.yaml").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "replicas: 1")
    comment = []
    for line in reversed(lines[:at]):
        if not line.strip().startswith("#"):
            break
        comment.append(line)
    why = " ".join(comment)
    assert "409" in why and "getUpdates" in why


def test_polling_probes_run_the_health_command():
    bot = container(k8s("deployment-polling.yaml"))
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        command = bot[probe]["exec"]["command"]
        assert command[:4] == ["python", "-m", "bot", "health"], probe
        assert bot[probe]["timeoutSeconds"] >= 5, probe  # a Python start takes about half a second
    assert {"name": "BOT_MODE", "value": "polling"} in bot["env"]


def test_webhook_probes_ask_the_health_routes():
    bot = container(k8s("deployment-webhook.yaml"))
    assert bot["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "webhook"}
    assert bot["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "webhook"}
    assert {"name": "BOT_MODE", "value": "webhook"} in bot["env"]
    ports = {p["name"]: p["containerPort"] for p in bot["ports"]}
    assert ports["webhook"] == int(k8s("configmap.yaml")["data"]["WEBHOOK_PORT"])


def mounted_volumes(workload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Mount path → the pod volume mounted there."""
    volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}
    return {m["mountPath"]: volumes[m["name"]] for m in container(workload)["volumeMounts"]}


@pytest.mark.parametrize("name", ["deployment-polling.yaml", "deployment-webhook.yaml"])
def test_deployments_run_non_root_read_only_with_a_writable_state_volume(name):
    deployment = k8s(name)
    pod = deployment["spec"]["template"]["spec"]
    bot = container(deployment)
    assert selects(deployment["spec"]["selector"]["matchLabels"], pod_labels(deployment))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    assert bot["securityContext"]["readOnlyRootFilesystem"] is True
    assert bot["securityContext"]["allowPrivilegeEscalation"] is False
    assert bot["securityContext"]["capabilities"]["drop"] == ["ALL"]
    volumes = mounted_volumes(deployment)
    state = volumes[STATE_DIR]
    if name == "deployment-polling.yaml":  # one pod: its SQLite store on the PVC
        assert state["persistentVolumeClaim"]["claimName"] == k8s("pvc.yaml")["metadata"]["name"]
    else:  # replicas on any node, their state in Redis: a ReadWriteOnce PVC could not follow them
        assert "emptyDir" in state
    assert "emptyDir" in volumes["/tmp"]
    assert not any(m.get("readOnly") for m in bot["volumeMounts"])
    assert k8s("configmap.yaml")["data"]["BOT_STATE_DIR"] == STATE_DIR
    envs = {ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in bot["envFrom"]}
    assert envs == {k8s("configmap.yaml")["metadata"]["name"], k8s("secret.example.yaml")["metadata"]["name"]}


@pytest.mark.parametrize("name", ["deployment-polling.yaml", "deployment-webhook.yaml"])
def test_resources_leave_room_above_the_measured_resident_size(name):
    """Measured: about 66 MB resident idle, 80 MB after a burst; an exec probe adds a second Python."""
    resources = container(k8s(name))["resources"]
    mebibytes = {k: int(resources[k]["memory"].removesuffix("Mi")) for k in ("requests", "limits")}
    assert 96 <= mebibytes["requests"] <= mebibytes["limits"]
    assert mebibytes["limits"] >= 192
    assert resources["requests"]["cpu"] and resources["limits"]["cpu"]


def pod_settings(name: str, **fields: str):
    """The settings a deployment's pod gets: the ConfigMap and the Secret (envFrom), then the container's
    own env, which wins; `fields` stands in for what the downward API would give."""
    secret = k8s("secret.example.yaml")["stringData"]
    values = {**k8s("configmap.yaml")["data"], **secret}
    for env_name, entry in env_of(k8s(name)).items():
        source = entry.get("valueFrom", {})
        if "value" in entry:
            values[env_name] = entry["value"]
        elif "secretKeyRef" in source:
            values[env_name] = secret[source["secretKeyRef"]["key"]]
        elif "fieldRef" in source:
            values[env_name] = fields[env_name]
        else:
            raise AssertionError(f"{name}: {env_name} comes from nowhere this test knows")
    return load_settings(_env_file=None, **{k.lower(): v for k, v in values.items()})


def test_configmap_and_secret_are_valid_settings_in_both_modes():
    values = {**k8s("configmap.yaml")["data"], **k8s("secret.example.yaml")["stringData"]}
    lowered = {k.lower(): v for k, v in values.items()}
    for mode in ("polling", "webhook"):
        settings = load_settings(_env_file=None, **lowered, bot_mode=mode)
        assert settings.metrics_port == 9100 and settings.metrics_listen == "0.0.0.0"


def test_webhook_pods_use_redis_and_the_poller_keeps_sqlite():
    webhook = pod_settings("deployment-webhook.yaml", BOT_REPLICA_ID="http-status-bot-7d9f-abcde")
    assert webhook.bot_mode == "webhook"
    assert webhook.store_url == k8s("secret.example.yaml")["stringData"]["BOT_STORE_URL"]
    assert webhook.bot_replica_id == "http-status-bot-7d9f-abcde"
    polling = pod_settings("deployment-polling.yaml")
    assert polling.bot_mode == "polling"
    assert polling.store_url is None  # the Secret's BOT_STORE_URL is blanked: SQLite on the PVC


def test_webhook_deployment_runs_two_replicas_on_the_shared_store():
    deployment = k8s("deployment-webhook.yaml")
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    env = env_of(deployment)
    secret = k8s("secret.example.yaml")
    ref = env["BOT_STORE_URL"]["valueFrom"]["secretKeyRef"]
    assert ref["name"] == secret["metadata"]["name"] and ref["key"] == "BOT_STORE_URL"
    assert ref.get("optional", False) is False  # a Secret without it must not start lone stores
    assert "BOT_STORE_URL" in secret["stringData"]
    assert env["BOT_REPLICA_ID"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    pod = spec["template"]["spec"]
    assert not any("persistentVolumeClaim" in v for v in pod["volumes"])
    (spread,) = pod["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    assert spread["whenUnsatisfiable"] == "ScheduleAnyway"  # a preference: one node still runs both
    assert spread["labelSelector"]["matchLabels"] == pod_labels(deployment)
    assert container(deployment)["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_the_pdb_keeps_one_webhook_pod_and_leaves_the_poller_alone():
    pdb = k8s("pdb-webhook.yaml")["spec"]
    assert pdb["minAvailable"] == 1 and "maxUnavailable" not in pdb
    selector = pdb["selector"]["matchLabels"]
    assert selector == pod_labels(k8s("deployment-webhook.yaml"))
    # A budget of minAvailable 1 over the single polling pod would block every node drain.
    assert not selects(selector, pod_labels(k8s("deployment-polling.yaml")))


def test_redis_runs_as_a_small_statefulset_behind_the_service_named_in_the_store_url():
    statefulset, service = k8s("redis-statefulset.yaml"), k8s("redis-service.yaml")
    spec = statefulset["spec"]
    assert spec["replicas"] == 1
    assert spec["serviceName"] == service["metadata"]["name"]
    assert selects(spec["selector"]["matchLabels"], pod_labels(statefulset))
    assert service["spec"]["clusterIP"] == "None"  # headless
    assert selects(service["spec"]["selector"], pod_labels(statefulset))
    url = urlsplit(k8s("secret.example.yaml")["stringData"]["BOT_STORE_URL"])
    (port,) = service["spec"]["ports"]
    redis = container(statefulset)
    (container_port,) = redis["ports"]
    assert url.scheme == "redis" and url.hostname == service["metadata"]["name"]
    assert (url.port or 6379) == port["port"] == container_port["containerPort"]
    assert port["targetPort"] == container_port["name"]
    assert redis["image"].startswith("redis:") and redis["image"] != "redis:latest"
    assert REDIS_DURABILITY.items() <= redis_options(redis["args"]).items()
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        command = " ".join(redis[probe]["exec"]["command"])
        assert "redis-cli ping" in command and "PONG" in command, probe
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert {m["mountPath"]: m["name"] for m in redis["volumeMounts"]} == {"/data": claim["metadata"]["name"]}
    resources = redis["resources"]
    assert resources["requests"]["cpu"] and resources["requests"]["memory"]
    assert resources["limits"]["cpu"] and resources["limits"]["memory"]
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 999  # the image's redis user
    assert pod["automountServiceAccountToken"] is False
    assert redis["securityContext"]["readOnlyRootFilesystem"] is True
    assert redis["securityContext"]["allowPrivilegeEscalation"] is False
    assert redis["securityContext"]["capabilities"]["drop"] == ["ALL"]
    text = (K8S / "redis-statefulset.yaml").read_text(encoding="utf-8")
    assert "managed" in text.lower() and "rediss://" in text  # how to swap in a managed Redis


def test_only_the_bot_pods_reach_redis_and_no_bot_selector_picks_it():
    redis_pod = pod_labels(k8s("redis-statefulset.yaml"))
    redis_service = k8s("redis-service.yaml")["metadata"]["labels"]
    policy = k8s("redis-networkpolicy.yaml")["spec"]
    assert selects(policy["podSelector"]["matchLabels"], redis_pod)
    assert policy["policyTypes"] == ["Ingress"]
    (rule,) = policy["ingress"]
    (source,) = rule["from"]
    for name in ("deployment-polling.yaml", "deployment-webhook.yaml"):
        assert selects(source["podSelector"]["matchLabels"], pod_labels(k8s(name))), name
    assert rule["ports"] == [{"protocol": "TCP", "port": 6379}]
    bot_selectors = [
        k8s("service.yaml")["spec"]["selector"],
        k8s("pdb-webhook.yaml")["spec"]["selector"]["matchLabels"],
        k8s("deployment-polling.yaml")["spec"]["selector"]["matchLabels"],
        k8s("deployment-webhook.yaml")["spec"]["selector"]["matchLabels"],
    ]
    assert not any(selects(selector, redis_pod) for selector in bot_selectors)
    assert not selects(k8s("servicemonitor.yaml")["spec"]["selector"]["matchLabels"], redis_service)


def test_ingress_routes_exactly_the_webhook_path_to_the_service():
    url = urlsplit(k8s("configmap.yaml")["data"]["WEBHOOK_URL"])
    ingress = k8s("ingress.yaml")["spec"]
    (rule,) = ingress["rules"]
    (path,) = rule["http"]["paths"]
    assert rule["host"] == url.hostname and url.scheme == "https"
    assert (path["path"], path["pathType"]) == (url.path, "Exact")
    assert rule["host"] in ingress["tls"][0]["hosts"]
    service = k8s("service.yaml")
    assert path["backend"]["service"]["name"] == service["metadata"]["name"]
    service_ports = {p["name"]: p for p in service["spec"]["ports"]}
    assert path["backend"]["service"]["port"]["name"] == "webhook"
    webhook_ports = {p["name"] for p in container(k8s("deployment-webhook.yaml"))["ports"]}
    assert {p["targetPort"] for p in service_ports.values()} <= webhook_ports
    assert (
        service["spec"]["selector"].items()
        <= k8s("deployment-webhook.yaml")["spec"]["template"]["metadata"]["labels"].items()
    )


def test_servicemonitor_scrapes_the_metrics_port():
    monitor = k8s("servicemonitor.yaml")["spec"]
    assert monitor["endpoints"][0]["port"] == "metrics"
    assert any(p["name"] == "metrics" for p in k8s("service.yaml")["spec"]["ports"])


# -- Dockerfile ------------------------------------------------------------------------------------


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, rest = (pending + line).partition(" ")
        result.append((keyword.upper(), rest.strip()))
        pending = ""
    return result


DOCKERFILE = instructions(DEPLOY / "Dockerfile")


def args_of(keyword: str) -> list[str]:
    return [rest for kw, rest in DOCKERFILE if kw == keyword]


def final_stage() -> list[tuple[str, str]]:
    starts = [i for i, (kw, _) in enumerate(DOCKERFILE) if kw == "FROM"]
    return DOCKERFILE[starts[-1] :]


def test_dockerfile_is_multi_stage_on_python_311_slim():
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in [f"ARG {a}" for a in args_of("ARG")]
    froms = args_of("FROM")
    assert len(froms) >= 2
    assert froms[0].split()[-2:] == ["AS", "builder"]
    assert all(f.split()[0] == "${PYTHON_IMAGE}" for f in froms)
    assert any(kw == "COPY" and rest.startswith("--from=builder") for kw, rest in final_stage())


def test_dockerfile_runs_as_a_numeric_non_root_user():
    users = [rest for kw, rest in final_stage() if kw == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0  # numeric: Kubernetes' runAsNonRoot can check it
    assert (
        int(user)
        == k8s("deployment-polling.yaml")["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    )


def test_dockerfile_health_volume_ports_and_command():
    stage = dict(final_stage())
    assert json.loads(stage["CMD"]) == ["python", "-m", "bot", "run"]
    options, _, command = stage["HEALTHCHECK"].partition("CMD")
    assert json.loads(command) == ["python", "-m", "bot", "health"]
    assert "--interval=" in options and "--timeout=" in options
    assert shlex.split(stage["VOLUME"]) == [STATE_DIR]
    assert set(stage["EXPOSE"].split()) == {"8443", "9100"}
    assert stage["WORKDIR"] == STATE_DIR  # the image holds no checkout: the venv is the program
    env = dict(re.findall(r"(\w+)=(\S+)", stage["ENV"]))
    assert env["BOT_STATE_DIR"] == STATE_DIR
    assert env["PATH"].startswith("/opt/venv/bin:")


def test_dockerfile_installs_the_locked_dependencies_and_the_wheel_that_carries_the_data():
    """The wheel ships data/ inside the package (bot/core/resources.py), so the image needs no checkout."""
    copies = [rest.split() for kw, rest in DOCKERFILE if kw == "COPY" and not rest.startswith("--from")]
    sources = {src.rstrip("/") for parts in copies for src in parts[:-1]}
    assert {"pyproject.toml", "bot", "data"} <= sources
    for source in sources:
        if "*" not in source:
            assert (ROOT / source).exists(), source
    runs = args_of("RUN")
    assert any("pip install --require-hashes -r requirements/runtime.lock" in rest for rest in runs)
    assert any(
        "pip wheel --no-deps" in rest and "pip install --no-deps /tmp/dist/*.whl" in rest for rest in runs
    )
    assert not any(" -e " in rest for rest in runs)
    assert not [
        rest for kw, rest in DOCKERFILE if kw == "COPY" and rest.startswith("--from") and "/app" in rest
    ]


def test_the_dockerfiles_ignore_file_lets_through_exactly_what_it_copies():
    """BuildKit reads deploy/Dockerfile.dockerignore for `-f deploy/Dockerfile`: an allow-list."""
    lines = [
        line.strip()
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {line[1:].rstrip("/*") for line in lines if line.startswith("!")}
    copies = [rest.split() for kw, rest in DOCKERFILE if kw == "COPY" and not rest.startswith("--from")]
    assert {src.rstrip("/*") for parts in copies for src in parts[:-1]} <= allowed
    assert "**/__pycache__" in lines


# -- Compose ---------------------------------------------------------------------------------------


def interpolated(text: str) -> set[str]:
    return set(re.findall(r"\$\{(\w+)", text))


@pytest.mark.parametrize("name", ["compose.yaml", "compose.webhook.yaml"])
def test_compose_runs_the_image_with_env_file_state_volume_and_healthcheck(name):
    compose = load(DEPLOY / name)
    assert compose["name"] == "http-status-bot"  # shared: switching modes keeps the state volume
    bot = compose["services"]["bot"]
    assert (DEPLOY / bot["build"]["context"] / bot["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert bot["env_file"] == [".env"]
    assert bot["environment"]["BOT_STATE_DIR"] == STATE_DIR
    assert f"state:{STATE_DIR}" in bot["volumes"]
    assert "state" in compose["volumes"]
    assert bot["restart"] == "unless-stopped"
    assert bot["healthcheck"]["test"] == ["CMD", "python", "-m", "bot", "health"]
    assert bot["read_only"] is True and "/tmp" in bot["tmpfs"]
    assert "ports" not in bot  # never published directly: polling needs none, Caddy fronts the webhook


def test_polling_compose_is_polling_with_one_replica():
    bot = load(DEPLOY / "compose.yaml")["services"]["bot"]
    assert bot["environment"]["BOT_MODE"] == "polling"
    assert bot.get("deploy", {}).get("replicas", 1) == 1 and "scale" not in bot  # one getUpdates per bot
    assert "BOT_STORE_URL" not in bot["environment"]  # SQLite in the state volume


def test_webhook_compose_puts_caddy_in_front_of_the_bot():
    compose = load(DEPLOY / "compose.webhook.yaml")
    bot, caddy = compose["services"]["bot"], compose["services"]["caddy"]
    assert bot["environment"]["BOT_MODE"] == "webhook"
    assert interpolated(bot["environment"]["WEBHOOK_URL"]) == {"BOT_DOMAIN", "WEBHOOK_PATH"}
    assert bot["environment"]["WEBHOOK_URL"].startswith("https://")
    assert caddy["image"].startswith("caddy:")
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert {"caddy_data", "state"} <= set(compose["volumes"])
    # The service name: compose's DNS answers it with every replica's address.
    assert caddy["environment"]["BOT_UPSTREAM_HOST"] == "bot"
    assert caddy["environment"]["BOT_UPSTREAM_PORT"] == bot["environment"]["WEBHOOK_PORT"]
    assert caddy["depends_on"]["bot"]["condition"] == "service_healthy"


def test_webhook_compose_runs_two_bot_replicas_on_one_redis():
    compose = load(DEPLOY / "compose.webhook.yaml")
    bot, redis = compose["services"]["bot"], compose["services"]["redis"]
    assert bot["deploy"]["replicas"] == 2
    assert "container_name" not in bot and "ports" not in bot  # neither can be shared by two replicas
    assert "BOT_REPLICA_ID" not in bot["environment"]  # the default, the container's host name, is unique
    url = urlsplit(bot["environment"]["BOT_STORE_URL"])
    assert url.scheme == "redis" and url.hostname == "redis" and (url.port or 6379) == 6379
    assert bot["depends_on"]["redis"]["condition"] == "service_healthy"
    assert redis["image"].startswith("redis:") and redis["image"] != "redis:latest"
    options = redis_options(redis["command"])
    assert REDIS_DURABILITY.items() <= options.items()
    assert " ".join(redis["healthcheck"]["test"][1:]).startswith("redis-cli ping")
    assert "redis:/data" in redis["volumes"] and "redis" in compose["volumes"]
    assert "ports" not in redis  # reached inside the compose network only: it has no password
    assert redis["read_only"] is True and redis["cap_drop"] == ["ALL"]
    assert redis["user"].split(":")[0] == "999"


def test_compose_and_kubernetes_run_redis_alike():
    compose = load(DEPLOY / "compose.webhook.yaml")["services"]["redis"]
    statefulset = container(k8s("redis-statefulset.yaml"))
    assert compose["command"] == statefulset["args"]
    assert compose["image"] == statefulset["image"]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_redis_server_takes_the_arguments_and_keeps_an_append_only_file(tmp_path):
    import redis

    args = load(DEPLOY / "compose.webhook.yaml")["services"]["redis"]["command"]
    port = free_port()
    where = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path)]
    server = subprocess.Popen(
        [shutil.which("redis-server"), *args[1:], *where],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        client = redis.Redis(port=port, socket_timeout=5)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                time.sleep(0.025)
        for name, value in REDIS_DURABILITY.items():
            assert client.config_get(name) == {name: value}
        assert client.config_get("save") == {"save": ""}
        client.hset("hsb:lang", "42", "zh")
        assert any(tmp_path.rglob("*.aof"))
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_env_example_names_every_variable_the_compose_files_need():
    example = (DEPLOY / "env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^#?([A-Z_]+)=", example, re.MULTILINE))
    needed = {"TELEGRAM_BOT_TOKEN"}
    for name in ("compose.yaml", "compose.webhook.yaml"):
        needed |= interpolated((DEPLOY / name).read_text(encoding="utf-8"))
    assert needed <= names
    assert re.search(r"^TELEGRAM_BOT_TOKEN=$", example, re.MULTILINE)  # no token, not even a fake one
    for name in ("BOT_STORE_URL", "BOT_REPLICA_ID"):  # named, and off unless asked for
        assert re.search(rf"^#{name}=", example, re.MULTILINE), name
        assert not re.search(rf"^{name}=", example, re.MULTILINE), name


# -- Caddy -----------------------------------------------------------------------------------------

CADDY_ENV = {
    "BOT_DOMAIN": "bot.example.com",
    "WEBHOOK_PATH": "/telegram-hook",
    "BOT_UPSTREAM_HOST": "bot",
    "BOT_UPSTREAM_PORT": "8443",
}


def test_caddyfile_proxies_only_posts_to_the_webhook_path():
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "{$BOT_DOMAIN} {" in text
    assert re.search(r"@webhook \{\s+method POST\s+path \{\$WEBHOOK_PATH\}\s+\}", text)
    assert re.search(r"handle @webhook \{.*reverse_proxy \{", text, re.DOTALL)
    assert re.search(r"handle \{\s+respond 404\s+\}", text)


def test_caddyfile_takes_every_replica_in_turn():
    """The upstreams are all the addresses the name resolves to (one per compose replica), taken in turn,
    and a replica that refuses the connection is skipped for the next one."""
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    proxy = re.search(r"reverse_proxy \{(.*?)\n\t\t\}", text, re.DOTALL)
    assert proxy, "no reverse_proxy block"
    block = proxy.group(1)
    dynamic = r"dynamic a \{\$BOT_UPSTREAM_HOST:127\.0\.0\.1\} \{\$BOT_UPSTREAM_PORT:8443\} \{\s+refresh \d+s"
    assert re.search(dynamic, block)
    assert re.search(r"lb_policy round_robin", block)
    assert re.search(r"lb_try_duration \d+s", block)
    assert re.search(r"dial_timeout \d+s", block)


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed")
def test_caddy_adapts_the_caddyfile(tmp_path):
    result = subprocess.run(
        ["caddy", "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env={**os.environ, **CADDY_ENV},
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    (server,) = config["apps"]["http"]["servers"].values()
    assert server["listen"] == [":443"]  # a real name: automatic HTTPS
    assert "/telegram-hook" in result.stdout
    proxies = list(handlers(config, "reverse_proxy"))
    assert len(proxies) == 1
    (proxy,) = proxies
    assert {k: proxy["dynamic_upstreams"][k] for k in ("source", "name", "port")} == {
        "source": "a",
        "name": "bot",
        "port": "8443",
    }
    assert proxy["load_balancing"]["selection_policy"] == {"policy": "round_robin"}
    assert proxy["load_balancing"]["try_duration"] > 0


def handlers(node: Any, name: str):
    """Every handler called `name` anywhere in an adapted Caddy config."""
    if isinstance(node, dict):
        if node.get("handler") == name:
            yield node
        for value in node.values():
            yield from handlers(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from handlers(value, name)


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed")
async def test_caddy_forwards_only_posts_to_the_webhook_path(start_bot, tmp_path):
    """The Caddyfile in front of a real webhook bot: Telegram's POST gets through, nothing else does."""
    bot_port, caddy_port = free_port(), free_port()
    bot = await start_bot(**webhook_settings(bot_port))
    env = {
        **CADDY_ENV,
        "BOT_DOMAIN": f"http://127.0.0.1:{caddy_port}",  # plain HTTP: no certificate in a test
        "BOT_UPSTREAM_HOST": "127.0.0.1",
        "BOT_UPSTREAM_PORT": str(bot_port),
    }
    adapted = subprocess.run(
        ["caddy", "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    config = json.loads(adapted.stdout)
    config["admin"] = {"disabled": True}  # no admin endpoint on :2019 that other runs might hold
    (tmp_path / "caddy.json").write_text(json.dumps(config), encoding="utf-8")
    caddy = await asyncio.create_subprocess_exec(
        "caddy",
        "run",
        "--config",
        str(tmp_path / "caddy.json"),
        cwd=tmp_path,
        env={
            **os.environ,
            "HOME": str(tmp_path),
            "XDG_DATA_HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path),
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{caddy_port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                try:
                    await client.get(f"{base}/")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            update = bot.say("404")
            body = {k: v for k, v in update.items() if not k.startswith("_")}
            headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            response = await client.post(f"{base}/telegram-hook", json=body, headers=headers)
            assert response.status_code == 200
            call = await bot.reply_to(update)
            assert call.params["caption"].startswith("<b>404 Not Found</b>")
            for method, path in [
                ("GET", "/healthz"),
                ("GET", "/readyz"),
                ("GET", "/telegram-hook"),
                ("POST", "/"),
            ]:
                response = await client.request(method, f"{base}{path}", headers=headers)
                assert response.status_code == 404, (method, path)
            assert (await client.post(f"{base}/telegram-hook", json=body)).status_code == 403  # no secret
    finally:
        caddy.terminate()
        await caddy.wait()


# -- systemd ---------------------------------------------------------------------------------------


def unit_directives(path: Path) -> dict[str, list[str]]:
    """`Section.Key` → every value given (systemd allows repeating a key)."""
    found: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, val = line.partition("=")
        found.setdefault(f"{section}.{key}", []).append(val)
    return found


REQUIRED = {
    "Service.ExecStart": "/opt/http-status-bot/.venv/bin/python -m bot run",
    "Service.WorkingDirectory": "/opt/http-status-bot",
    "Service.EnvironmentFile": "/etc/http-status-bot/env",
    "Service.Restart": "on-failure",
    "Service.DynamicUser": "yes",
    "Service.StateDirectory": "http-status-bot",
    "Service.ProtectSystem": "strict",
    "Service.ProtectHome": "yes",
    "Service.PrivateTmp": "yes",
    "Service.NoNewPrivileges": "yes",
    "Service.CapabilityBoundingSet": "",
    "Service.RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "Install.WantedBy": "multi-user.target",
}


def test_systemd_unit_has_the_required_directives():
    directives = unit_directives(UNIT)
    for key, expected in REQUIRED.items():
        assert directives.get(key, [None])[-1] == expected, key
    assert "@system-service" in directives["Service.SystemCallFilter"]
    environment = " ".join(directives["Service.Environment"]).split()
    assert "BOT_STATE_DIR=%S/http-status-bot" in environment
    assert "network-online.target" in directives["Unit.After"][0]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_unit_passes_systemd_analyze_verify(tmp_path):
    # verify checks that ExecStart's program exists; the venv is not on this machine, so point at ours.
    unit = tmp_path / UNIT.name
    text = UNIT.read_text(encoding="utf-8")
    unit.write_text(text.replace("/opt/http-status-bot/.venv/bin/python", "/bin/sh"), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "http-status-bot.service" not in result.stderr, result.stderr


# -- README ----------------------------------------------------------------------------------------


def test_readme_gives_the_commands_for_each_way():
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for command in (
        "docker build -f deploy/Dockerfile",
        "docker compose -f deploy/compose.yaml up",
        "docker compose -f deploy/compose.webhook.yaml up",
        "systemctl enable --now http-status-bot",
        "/opt/http-status-bot/.venv/bin/pip install -e /opt/http-status-bot",
        "kubectl apply",
        "python -m bot health",
    ):
        assert command in readme, command
    for path in re.findall(r"deploy/[\w./-]+\.(?:yaml|service)", readme):
        assert (ROOT / path).exists(), path


def test_readme_explains_scaling_out_and_how_to_apply_every_manifest():
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for word in ("## Scaling out", "BOT_STORE_URL", "BOT_REPLICA_ID", "409 Conflict", "getUpdates"):
        assert word in readme, word
    for name in KINDS:
        assert f"deploy/kubernetes/{name}" in readme or f"`{name}`" in readme, name
    applied = " ".join(re.findall(r"kubectl -n http-status-bot apply (.*?)(?:\n(?!  )|$)", readme, re.DOTALL))
    for name in ("deployment-webhook.yaml", "pdb-webhook.yaml", *REDIS_FILES):
        assert f"deploy/kubernetes/{name}" in applied, name
    assert "--from-literal=BOT_STORE_URL=" in readme
