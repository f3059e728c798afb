"""deploy/: the Kubernetes manifests validate against the Kubernetes schemas (offline, kubernetes-validate),
hang together (secrets, selectors, the nodes' Service), size browser nodes from the bench figures, and give
the control plane settings avatarfarm accepts; the images run unprivileged."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from farm.browsers.node_settings import load_node_settings
from farm.settings import load_settings
from tests.bench import report, results_file

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def _one(kind: str, component: str | None = None) -> dict[str, Any]:
    found = [
        d
        for d in _documents()
        if d["kind"] == kind
        and (component is None or d["metadata"]["labels"].get("app.kubernetes.io/component") == component)
    ]
    assert len(found) == 1, (kind, component, len(found))
    return found[0]


def _cpu(value: str) -> float:
    return float(value[:-1]) / 1000 if value.endswith("m") else float(value)


def _mib(value: str) -> float:
    assert value.endswith("Mi") or value.endswith("Gi"), value
    return float(value[:-2]) * (1024 if value.endswith("Gi") else 1)


@pytest.mark.parametrize("doc", _documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_manifest_is_valid_kubernetes(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, str(kubernetes_validate.latest_version()), strict=True)


def test_a_broken_manifest_is_caught() -> None:
    doc = _one("Deployment", "browser-node")
    broken = yaml.safe_load(yaml.safe_dump(doc))
    broken["spec"]["replicas"] = "five"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, str(kubernetes_validate.latest_version()), strict=True)


def test_the_control_plane_is_one_replica_replaced_not_rolled_with_its_data_on_a_claim() -> None:
    deployment = _one("Deployment", "control-plane")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    claim = _one("PersistentVolumeClaim")
    assert [v["persistentVolumeClaim"]["claimName"] for v in volumes] == [claim["metadata"]["name"]]
    service = _one("Service", "control-plane")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def _environment(component: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A pod's AVATARFARM_* environment as its manifest gives it (values, the Secret's keys, the ConfigMap's),
    set in place of the test's own."""
    container = _one("Deployment", component)["spec"]["template"]["spec"]["containers"][0]
    secret = _one("Secret")
    config = _one("ConfigMap")
    env = {}
    for item in container["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        elif "configMapKeyRef" in item["valueFrom"]:
            key = item["valueFrom"]["configMapKeyRef"]
            assert key["name"] == config["metadata"]["name"] and key["key"] in config["data"], key
            env[item["name"]] = config["data"][key["key"]]
        else:
            key = item["valueFrom"]["secretKeyRef"]
            assert key["name"] == secret["metadata"]["name"] and key["key"] in secret["stringData"], key
            # What an operator puts in place of the placeholder (placeholders stop start-up, as
            # tests/security/test_credentials.py shows).
            env[item["name"]] = f"{key['key']}-6b1e0f9c2d4a8e7f3b5c9a0d1e2f3a4b"
    for name in list(os.environ):
        if name.startswith("AVATARFARM_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_the_control_plane_settings_are_accepted_and_find_the_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    _environment("control-plane", monkeypatch)
    settings = load_settings()
    [nodes_url] = settings.browser_node_urls
    nodes_service = _one("Service", "browser-node")
    assert nodes_service["spec"]["clusterIP"] == "None"  # headless: one A record per node
    assert nodes_url == f"dns+ws://{nodes_service['metadata']['name']}:{nodes_service['spec']['ports'][0]['port']}/"
    assert settings.public_base_url == f"http://{_one('Service', 'control-plane')['metadata']['name']}:8800"


def test_browser_nodes_are_sized_from_the_bench_figures() -> None:
    deployment = _one("Deployment", "browser-node")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    bots = int(container["args"][container["args"].index("--max-bots") + 1])
    requests, limits = container["resources"]["requests"], container["resources"]["limits"]
    # The figures come from make bench's results.json, as the manifest's generated comment says: the requests
    # cover them, without reserving much more than they need.
    assert bots == report.NODE_BOTS
    needed = report.needed_requests(results_file.load(report.RESULTS))
    assert needed is not None
    cores, mib = needed
    assert cores <= _cpu(requests["cpu"]) <= cores * 1.05
    assert mib <= _mib(requests["memory"]) <= mib + 512
    assert _cpu(limits["cpu"]) >= _cpu(requests["cpu"]) and _mib(limits["memory"]) > _mib(requests["memory"])
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    env = {e["name"]: e for e in container["env"]}
    assert env["AVATARFARM_BROWSER_NODE_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] in _one("Secret")["stringData"]
    budget = _one("PodDisruptionBudget")
    assert budget["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert _one("Service", "browser-node")["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize("name", ["Dockerfile.control-plane", "Dockerfile.browser-node"])
def test_the_images_run_unprivileged(name: str) -> None:
    text = (DEPLOY / name).read_text()
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("0", "root")


def test_the_browser_node_image_uses_debians_chromium_and_runs_the_node() -> None:
    text = (DEPLOY / "Dockerfile.browser-node").read_text()
    assert "apt-get install" in text and " chromium " in text
    assert '"avatarfarm", "node"' in text


def test_the_nodes_reach_the_control_planes_page_origin_and_the_live_vendors_written_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The nodes derive their egress list from the control plane's own settings (one ConfigMap), so the page
    origin they allow is the one the control plane serves bot pages from."""
    _environment("control-plane", monkeypatch)
    page_origin = load_settings().base_url
    _environment("browser-node", monkeypatch)
    listed = [str(rule) for rule in load_node_settings().egress_rules()]
    assert listed[0] == f"{urlsplit(page_origin).hostname}:{urlsplit(page_origin).port}"
    assert {"zoom.us", "*.zoom.us", "api.liveavatar.com", "*.livekit.cloud"} <= set(listed)
