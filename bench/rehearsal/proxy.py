"""The reverse proxy of the rehearsal: nginx, one public address in front of the web
processes, configured as docs/deployment.md's example (upstream, forwarded headers, timeouts)
but over plain HTTP on loopback, in the foreground, with every file in the rehearsal's folder.

Debian's ``nginx`` package is installed with apt-get when it is missing and this runs as root
(as ``run.py test`` installs chromium); otherwise the error says how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bench.rehearsal.processes import RehearsalError

# The access log names the upstream that served each request, so the rehearsal can show that
# both web processes served.
LOG_FORMAT = '$remote_addr "$request" $status upstream=$upstream_addr rt=$request_time'


def find_nginx(*, install: bool) -> Path:
    """The nginx binary; installs Debian's package first when missing, ``install`` is true
    and this process is root with apt-get."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None
    )
    if found:
        return Path(found)
    if install and os.geteuid() == 0 and shutil.which("apt-get"):
        print("nginx is missing: installing Debian's nginx package (apt-get install nginx)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"],
        ):
            completed = subprocess.run(  # nosec B603  # fixed commands, no shell
                command, env=env, capture_output=True, text=True, check=False
            )
            if completed.returncode != 0:
                raise RehearsalError(
                    f"{' '.join(command)} failed ({completed.returncode}):\n"
                    f"{completed.stderr[-2000:]}"
                )
        return find_nginx(install=False)
    raise RehearsalError(
        "nginx is not installed: install Debian's nginx package (apt-get install nginx), "
        "or run the rehearsal as root, which installs it"
    )


def nginx_config(*, listen_port: int, upstreams: Sequence[str], run_dir: Path) -> str:
    """nginx.conf of the rehearsal: ``listen_port`` on 127.0.0.1 proxying to ``upstreams``
    (``host:port`` each); pid, logs and temporary files under ``run_dir``."""
    servers = "\n".join(
        f"        server {address} max_fails=3 fail_timeout=10s;" for address in upstreams
    )
    temp = run_dir / "temp"
    return f"""\
worker_processes 1;
daemon off;
pid {run_dir / "nginx.pid"};
error_log {run_dir / "nginx-error.log"} warn;

events {{
    worker_connections 256;
}}

http {{
    log_format rehearsal '{LOG_FORMAT}';
    access_log {run_dir / "nginx-access.log"} rehearsal;
    client_body_temp_path {temp / "client_body"};
    proxy_temp_path {temp / "proxy"};
    fastcgi_temp_path {temp / "fastcgi"};
    uwsgi_temp_path {temp / "uwsgi"};
    scgi_temp_path {temp / "scgi"};

    upstream annquiz_web {{
{servers}
        keepalive 16;
    }}

    server {{
        listen 127.0.0.1:{listen_port};
        server_name 127.0.0.1 localhost;
        # A Keras snippet or JSON spec is small; the API refuses large bodies itself too.
        client_max_body_size 1m;
        # Bodies and responses stay in memory: run as root, nginx's workers are "nobody",
        # who cannot write temporary files in the rehearsal's private folder.
        client_body_buffer_size 1m;
        proxy_max_temp_file_size 0;

        location / {{
            proxy_pass http://annquiz_web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            # Overwrites whatever the client sent: Django trusts this header
            # (ANNQUIZ_TRUST_X_FORWARDED_PROTO) to know a request came over HTTPS.
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 5s;
            proxy_read_timeout 60s;
            # A web process that refuses or drops a connection: try the other one (only for
            # requests that are safe to repeat, as nginx does by default).
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
"""


def write_nginx_config(
    *, nginx: Path, listen_port: int, upstreams: Sequence[str], run_dir: Path
) -> Path:
    """Write the config to ``run_dir/nginx.conf`` and check it with ``nginx -t``."""
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "temp" / name).mkdir(parents=True, exist_ok=True)
    path = run_dir / "nginx.conf"
    path.write_text(nginx_config(listen_port=listen_port, upstreams=upstreams, run_dir=run_dir))
    completed = subprocess.run(  # nosec B603  # fixed command, no shell
        [*nginx_command(nginx, path), "-t", "-q"], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RehearsalError(f"nginx -t refused {path}:\n{completed.stderr.strip()}")
    return path


def nginx_command(nginx: Path, config: Path) -> list[str]:
    """nginx in the foreground with ``config`` (its prefix the config's folder)."""
    return [
        str(nginx),
        "-p",
        str(config.parent),
        "-c",
        str(config),
        "-e",
        str(config.parent / "nginx-error.log"),
    ]


def upstreams_served(access_log: Path) -> dict[str, int]:
    """Requests per upstream address in the proxy's access log."""
    counts: dict[str, int] = {}
    if not access_log.exists():
        return counts
    for line in access_log.read_text(errors="replace").splitlines():
        _, found, rest = line.partition(" upstream=")
        if found:
            # One address, or several ("a, b") when nginx tried the next upstream.
            for address in rest.rsplit(" rt=", 1)[0].split(", "):
                if address and address != "-":
                    counts[address] = counts.get(address, 0) + 1
    return counts
