"""deploy/: the systemd units and the nginx example pass the real tools (`systemd-analyze verify`,
`nginx -t`), and the environment file example is exactly what the settings classes generate."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from entryphone import settings_doc
from entryphone.config import Settings
from tests.support.paths import REPOSITORY

DEPLOY = REPOSITORY / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
INSTALLED = "/opt/entryphone/bin/entryphone"
ENV_FILE = "/etc/entryphone/entryphone.env"


def test_the_environment_file_example_is_generated_from_the_settings() -> None:
    example = (DEPLOY / "entryphone.env.example").read_text()
    assert example == settings_doc.env_file(), (
        "regenerate: entryphone settings > deploy/entryphone.env.example"
    )
    for name in Settings.model_fields:
        assert f"#ENTRYPHONE_{name.upper()}=" in example


def test_the_units_run_the_three_services() -> None:
    commands = {unit.name: re.search(r"^ExecStart=(.*)$", unit.read_text(), re.M) for unit in UNITS}
    assert set(commands) == {
        "entryphone-serve.service",
        "entryphone-supervisor.service",
        "entryphone-sip.service",
    }
    started = {name: match.group(1).split() if match else [] for name, match in commands.items()}
    assert started["entryphone-serve.service"][:2] == [INSTALLED, "serve"]
    assert "--workers" in started["entryphone-serve.service"]
    assert started["entryphone-supervisor.service"] == [INSTALLED, "supervisor"]
    assert started["entryphone-sip.service"][:2] == [INSTALLED, "sip"]
    for unit in UNITS:
        assert f"EnvironmentFile={ENV_FILE}" in unit.read_text()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    # The units name the production paths; verify checks that ExecStart exists, so point it at
    # this environment's entryphone and the example settings file.
    here = Path(sys.executable).parent / "entryphone"
    for unit in UNITS:
        text = unit.read_text().replace(INSTALLED, str(here))
        (tmp_path / unit.name).write_text(text.replace(ENV_FILE, str(DEPLOY / "entryphone.env.example")))
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / unit.name) for unit in UNITS)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    # verify exits 0 on unknown keys and bad values and only warns: every line about our units fails.
    ours = [line for line in checked.stderr.splitlines() if "entryphone" in line]
    assert checked.returncode == 0 and not ours, checked.stderr


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api.example.net")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert, private


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_the_nginx_example_passes_nginx_t(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    logs = tmp_path / "logs"
    logs.mkdir()
    site = (DEPLOY / "nginx" / "entryphone.conf").read_text()
    site = site.replace("/etc/ssl/certs/entryphone.pem", str(cert))
    site = site.replace("/etc/ssl/private/entryphone.key", str(key))
    site = site.replace("/var/log/nginx/", f"{logs}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {logs}/error.log;\nevents {{}}\n"
        f"http {{ include {tmp_path}/site.conf; }}\n"
    )
    command = ["nginx", "-t", "-p", str(tmp_path), "-e", str(logs / "startup.log")]
    checked = subprocess.run(
        [*command, "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr
    assert "[warn]" not in checked.stderr and "[emerg]" not in checked.stderr, checked.stderr


def test_the_proxy_limits_match_the_application_defaults() -> None:
    site = (DEPLOY / "nginx" / "entryphone.conf").read_text()
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    body = re.search(r"client_max_body_size (\d+)m;", site)
    assert body and int(body.group(1)) * 1024 * 1024 == defaults["max_body_bytes"]
    headers = re.search(r"large_client_header_buffers \d+ (\d+)k;", site)
    assert headers and int(headers.group(1)) * 1024 == defaults["max_header_bytes"]
    # The proxy cuts a stalled client before the application's own deadline does.
    stalled = re.search(r"client_body_timeout (\d+)s;", site)
    assert stalled and int(stalled.group(1)) < defaults["request_read_timeout"]
    assert "proxy_set_header Upgrade $http_upgrade;" in site
    # Browsers send the WebSocket token in the query string: the access log format leaves it out.
    log_format = site.split("log_format", 1)[1].split(";", 1)[0]
    assert "$uri" in log_format and "$request " not in log_format and "$request_uri" not in log_format
