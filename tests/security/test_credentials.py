"""Weak and placeholder credentials stop `avatarfarm serve` before anything listens, in one line that names the
variable and never the value: a one-letter API token, every placeholder of deploy/kubernetes/secret.yaml, a
weak token kept in DATA_DIR; random values of 128 bits pass."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import yaml

from api.cli import main
from farm.credential_strength import estimated_bits, weakness
from tests.support.ports import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"


def _serve(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[int, str]:
    status = main(["serve", "--data-dir", str(tmp_path / "var"), "--port", str(free_port())])
    captured = capsys.readouterr()
    return status, captured.err + captured.out


def test_a_one_letter_api_token_stops_start_up_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("AVATARFARM_API_TOKEN", "a")
    status, said = _serve(capsys, tmp_path)
    assert status == 2
    assert said.startswith("avatarfarm: configuration error: AVATARFARM_API_TOKEN is too weak")
    assert said.count("\n") == 1


def _placeholders() -> list[tuple[str, str]]:
    """(environment variable, placeholder) for every value of the Secret the control plane reads."""
    values = yaml.safe_load((DEPLOY / "secret.yaml").read_text())["stringData"]
    plane = yaml.safe_load_all((DEPLOY / "control-plane.yaml").read_text())
    deployment = next(doc for doc in plane if doc and doc.get("kind") == "Deployment")
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    pairs = [
        (item["name"], values[item["valueFrom"]["secretKeyRef"]["key"]])
        for item in env
        if "secretKeyRef" in item.get("valueFrom", {})
    ]
    assert len(pairs) == len(values)  # every secret the manifest carries is read by the control plane
    return pairs


@pytest.mark.parametrize(("variable", "placeholder"), _placeholders())
def test_each_placeholder_of_the_kubernetes_secret_stops_start_up(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    variable: str,
    placeholder: str,
) -> None:
    monkeypatch.setenv("AVATARFARM_ZOOM_MODE", "live")
    monkeypatch.setenv("AVATARFARM_LIVEAVATAR_MODE", "live")
    monkeypatch.setenv("AVATARFARM_ZOOM_SDK_KEY", "sdk-key-issued-by-zoom-8f3a")
    monkeypatch.setenv("AVATARFARM_ZOOM_SDK_SECRET", secrets.token_urlsafe(24))
    monkeypatch.setenv("AVATARFARM_LIVEAVATAR_API_KEY", secrets.token_hex(16))
    monkeypatch.setenv(variable, placeholder)
    status, said = _serve(capsys, tmp_path)
    assert status == 2
    assert said.startswith(f"avatarfarm: configuration error: {variable} is a placeholder, not a secret")
    assert placeholder not in said and said.count("\n") == 1


def test_a_weak_token_kept_in_the_data_dir_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("AVATARFARM_API_TOKEN", raising=False)
    data = tmp_path / "var"
    data.mkdir(mode=0o700)
    (data / "api_token").write_text("password1\n")
    (data / "api_token").chmod(0o600)
    status, said = _serve(capsys, tmp_path)
    assert status == 2
    assert said.startswith(f"avatarfarm: the API token kept in {data / 'api_token'} is too weak")
    assert "password1" not in said


@pytest.mark.parametrize(
    "value",
    [
        "9f86d081884c7d659a2feaa0c55ad015",  # openssl rand -hex 16
        "3b1f0c9e5a7d24e8b6c0f1a2d3e4b5c6a7d8e9f0a1b2c3d4e5f60718293a4b5c",  # openssl rand -hex 32
        "Xq2vN7bLk9sR4tW1yZ8cM3pF6hJ0dG5aE_uI-oK2nV7",  # secrets.token_urlsafe(32)
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  # a Standard Webhooks secret
    ],
)
def test_random_values_of_128_bits_pass(value: str) -> None:
    assert weakness(value) is None, (value, estimated_bits(value))


@pytest.mark.parametrize(
    "value", ["a", "test-token-0123456789", "x" * 64, "abab" * 20, "correct horse battery", "0123456789abcdef"]
)
def test_short_values_words_and_patterns_are_weak(value: str) -> None:
    assert weakness(value) is not None
