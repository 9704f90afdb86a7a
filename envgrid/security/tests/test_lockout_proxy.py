"""Behind a real reverse proxy on loopback (issue 16, part 4): the lockout locks the
attacker's address, not the victim's.

The attacker and the victim connect from two loopback addresses (127.0.0.2, 127.0.0.3)
to a proxy in front of the live server, so the application sees every request come from
the proxy (127.0.0.1) with the client in X-Forwarded-For — exactly as behind the README's
nginx. Two proxies: Debian's nginx (skipped where it is not installed: `apt-get install
nginx-light`) and a small Python one that appends to X-Forwarded-For the same way."""

from __future__ import annotations

import http.client
import http.server
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt

from envgrid.testing import World

PW = "pw-Test-12345"
ATTACKER, VICTIM = "127.0.0.2", "127.0.0.3"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = [pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"proxy on port {port} did not start")


def _nginx(upstream: str, tmp: Path) -> Iterator[int]:
    port = _free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""
    )
    assert NGINX is not None
    proc = subprocess.Popen(  # noqa: S603 - Debian's nginx with our own config file
        [NGINX, "-c", str(conf), "-p", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _python_proxy(upstream: str, tmp: Path) -> Iterator[int]:
    host, _, up_port = upstream.partition(":")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            previous = self.headers.get("X-Forwarded-For")
            peer = self.client_address[0]
            headers["X-Forwarded-For"] = f"{previous}, {peer}" if previous else peer
            conn = http.client.HTTPConnection(host, int(up_port), timeout=30)
            conn.request("POST", self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in {"transfer-encoding", "connection", "content-length"}:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["nginx", "python"])
def proxy(request, live_server, tmp_path) -> Iterator[int]:
    upstream = urlsplit(live_server.url).netloc
    if request.param == "nginx":
        if NGINX is None:
            pytest.skip("nginx is not installed (apt-get install nginx-light)")
        yield from _nginx(upstream, tmp_path)
    else:
        yield from _python_proxy(upstream, tmp_path)


def _token(port: int, source: str, username: str, password: str, **headers: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    body = json.dumps({"username": username, "password": password})
    conn.request(
        "POST",
        "/api/auth/token/",
        body=body,
        headers={"Content-Type": "application/json", **headers},
    )
    resp = conn.getresponse()
    data = json.loads(resp.read() or b"{}")
    conn.close()
    return resp.status, data


def test_behind_a_proxy_the_attacker_is_locked_and_the_victim_is_not(proxy, settings):
    settings.ENVGRID_TRUSTED_PROXIES = "1"
    world = World()
    victim = world.member_staff[0].user.username
    for _ in range(4):
        assert _token(proxy, ATTACKER, victim, "wrong-password")[0] == 400
    status, body = _token(proxy, ATTACKER, victim, "wrong-password")
    assert (status, body["code"]) == (429, "login_locked")
    assert _token(proxy, ATTACKER, victim, PW)[0] == 429
    # The victim, at another address behind the same proxy, is not locked.
    status, body = _token(proxy, VICTIM, victim, PW)
    assert status == 200
    assert len(body["token"]) == 40
    # The attacker's address is recorded, not the proxy's; a forged header changes nothing.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    forged = _token(proxy, ATTACKER, victim, PW, **{"X-Forwarded-For": VICTIM})
    assert forged[0] == 429


def test_without_the_setting_everyone_behind_the_proxy_shares_its_address(proxy, settings):
    """Why ENVGRID_TRUSTED_PROXIES must be set behind a proxy: otherwise the proxy's own
    address is everyone's, and the attacker's lock is the victim's too."""
    settings.ENVGRID_TRUSTED_PROXIES = ""
    world = World()
    victim = world.member_staff[0].user.username
    for _ in range(5):
        _token(proxy, ATTACKER, victim, "wrong-password")
    assert _token(proxy, VICTIM, victim, PW)[0] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
