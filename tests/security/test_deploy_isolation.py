"""The Kubernetes manifests close what a compromised pod could use: no service-account token in either pod,
browser nodes reachable only from the control plane (on the node port), and a node's browsers kept away from
the cluster's and the cloud's private addresses (the metadata service among them)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
PLANE = {"app.kubernetes.io/name": "avatarfarm", "app.kubernetes.io/component": "control-plane"}
NODES = {"app.kubernetes.io/name": "avatarfarm", "app.kubernetes.io/component": "browser-node"}


def _documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def test_no_pod_mounts_a_service_account_token() -> None:
    deployments = [doc for doc in _documents() if doc["kind"] == "Deployment"]
    assert len(deployments) == 2
    for deployment in deployments:
        assert deployment["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


def test_browser_nodes_accept_only_the_control_plane_and_reach_no_private_address() -> None:
    [policy] = [doc for doc in _documents() if doc["kind"] == "NetworkPolicy"]
    spec = policy["spec"]
    assert spec["podSelector"]["matchLabels"] == NODES
    assert set(spec["policyTypes"]) == {"Ingress", "Egress"}
    [ingress] = spec["ingress"]
    assert [peer["podSelector"]["matchLabels"] for peer in ingress["from"]] == [PLANE]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 3000}]
    open_to = [peer["ipBlock"] for rule in spec["egress"] for peer in rule["to"] if "ipBlock" in peer]
    assert open_to and all(block["cidr"] == "0.0.0.0/0" for block in open_to)
    for private in ("169.254.169.254", "10.96.0.1", "172.17.0.1", "192.168.1.1"):
        address = ipaddress.ip_address(private)
        assert all(any(address in ipaddress.ip_network(e) for e in block["except"]) for block in open_to), private
