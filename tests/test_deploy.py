"""The production deploy, checked without a Docker engine: the compose file resolves, the
Dockerfile lints clean, both Nginx configs pass `nginx -t`, Prometheus's config passes
promtool, and every metric the Grafana dashboard queries exists in a real /metrics."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.stack import require_in_ci

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        require_in_ci(f"{name} is not installed (.ci/run installs it)")
    assert found is not None
    return found


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=cwd, check=False)


def test_compose_file_resolves(tmp_path: Path) -> None:
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    for example in copy.glob("*.env.example"):
        shutil.copy(example, copy / example.name.removesuffix(".example"))
    done = run(tool("docker-compose"), "-f", str(copy / "docker-compose.yml"), "config")
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    services = config["services"]
    expected = {"postgres", "redis", "migrate", "api", "worker", "worker-backtests", "beat"}
    assert expected | {"nginx", "prometheus", "grafana"} <= set(services)
    assert (
        services["api"]["deploy"]["replicas"] == 2 and services["beat"]["deploy"]["replicas"] == 1
    )
    for name in ("api", "worker", "beat", "migrate"):
        env = services[name].get("environment", {})
        # Secrets only from the env files, never written into the compose file.
        assert "JWT_SECRET" not in (DEPLOY / "docker-compose.yml").read_text()
        assert env.get("JWT_SECRET") == "CHANGE-ME-to-32-or-more-random-characters"
    assert "--metrics-port" in services["worker"]["command"]


def test_dockerfile_lints_clean() -> None:
    done = run(tool("hadolint"), str(ROOT / "Dockerfile"))
    assert done.returncode == 0, done.stdout + done.stderr
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER \d+", text, re.M), "the runtime runs without privileges"
    assert "AS web" in text and "AS runtime" in text


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tradebot.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    chain, private = directory / "fullchain.pem", directory / "privkey.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain, private


@pytest.mark.parametrize("conf", ["nginx.conf", "nginx/compose.conf"])
def test_nginx_configs_pass_nginx_t(tmp_path: Path, conf: str) -> None:
    nginx = tool("nginx")
    chain, private = _certificate(tmp_path)
    text = (DEPLOY / conf).read_text()
    text = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {chain};", text)
    text = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {private};", text)
    (tmp_path / "site.conf").write_text(text)
    (tmp_path / "main.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    done = run(nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "main.conf"))
    assert done.returncode == 0, done.stderr


def test_prometheus_config_passes_promtool() -> None:
    done = run(tool("promtool"), "check", "config", str(DEPLOY / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    jobs = {
        j["job_name"]
        for j in yaml.safe_load((DEPLOY / "prometheus.yml").read_text())["scrape_configs"]
    }
    assert jobs == {"tradebot-api", "tradebot-worker", "tradebot-telegram"}


def _queried(dashboard: dict[str, object]) -> set[str]:
    exprs = [
        t["expr"]
        for p in dashboard["panels"]  # type: ignore[attr-defined]
        for t in p.get("targets", [])
    ]
    return {_family(n) for e in exprs for n in re.findall(r"\btradebot_[a-z_]+", e)}


def _family(name: str) -> str:
    return re.sub(r"_(bucket|count|sum|total|created)$", "", name)


async def test_every_grafana_metric_exists_in_metrics(client: httpx.AsyncClient) -> None:
    dashboard = json.loads((DEPLOY / "grafana/dashboards/tradebot.json").read_text())
    queried = _queried(dashboard)
    assert len(queried) >= 20
    text = (await client.get("http://testserver/metrics")).text
    exposed = {_family(n) for n in re.findall(r"^# TYPE (tradebot_[a-z_]+) ", text, re.M)}
    assert queried <= exposed, sorted(queried - exposed)
    for provisioned in (DEPLOY / "grafana/provisioning").rglob("*.yml"):
        assert yaml.safe_load(provisioned.read_text())["apiVersion"] == 1
