"""Helpers of the tests that run `bordereau serve --workers 2` as people start it (a real uvicorn, in a subprocess),
and tell which worker answered: each request goes on its own TCP connection, and the worker process that holds the
server's end of that connection (psutil) is the one that answered. Nothing in the service exposes it."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    pid: int  # the worker that answered

    def json(self):
        return json.loads(self.body)


@dataclass
class Served:
    """A `bordereau serve` subprocess and its workers."""

    process: subprocess.Popen
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def workers(self) -> list[int]:
        """The worker processes: the server's children that listen on its port."""
        found = []
        for child in psutil.Process(self.process.pid).children():
            try:
                if any(c.status == psutil.CONN_LISTEN and c.laddr.port == self.port
                       for c in child.net_connections("tcp")):
                    found.append(child.pid)
            except psutil.NoSuchProcess:
                continue
        return sorted(found)

    def replacement_of(self, killed: int, survivor: int) -> int:
        """The worker the supervisor starts in place of `killed` (waited for, not timed)."""
        for _ in range(1200):
            now = self.workers()
            if len(now) == 2 and killed not in now:
                break
            time.sleep(0.1)
        return next(pid for pid in self.workers() if pid != survivor)

    def _owner(self, local_port: int) -> int | None:
        for pid in self.workers():
            try:
                if any(c.raddr and c.raddr.port == local_port and c.laddr.port == self.port
                       for c in psutil.Process(pid).net_connections("tcp")):
                    return pid
            except psutil.NoSuchProcess:
                continue
        return None

    def connect(self, worker: int | None = None, tries: int = 400) -> tuple[http.client.HTTPConnection, int]:
        """A keep-alive connection to `worker` (any when None), and the worker's pid. New connections are opened
        until the kernel hands one to that worker."""
        for _ in range(tries):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            connection.request("GET", "/connexion")
            connection.getresponse().read()
            owner = self._owner(connection.sock.getsockname()[1])
            if owner is not None and worker in (None, owner):
                return connection, owner
            connection.close()
        raise AssertionError(f"aucune connexion servie par le processus {worker} en {tries} essais")

    def call(self, method: str, path: str, worker: int | None = None, json_body=None, files=None,
             headers: dict | None = None) -> Answer:
        """One request on a connection served by `worker`, with this client's cookies (kept by hand: the service
        under --https marks them Secure, and this client speaks plain HTTP to it, as a reverse proxy does)."""
        request = httpx.Request(method, f"http://127.0.0.1:{self.port}{path}", json=json_body, files=files)
        body = request.read()
        sent = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "content-length")}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection, pid = self.connect(worker)
        try:
            connection.request(method, path, body=body or None, headers={**sent, **(headers or {})})
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read(), pid)
        finally:
            connection.close()
        for cookie in answer.headers.get_all("set-cookie") or []:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            if value in ("", '""'):
                self.cookies.pop(name, None)  # deleted
            else:
                self.cookies[name] = value
        return answer

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)


def serve(db: str, key: Path, *options: str, workers: int = 2, env: dict | None = None) -> Served:
    """`bordereau serve --workers N` on a free port; returns once every worker listens (waiting, not timing)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", "serve", "--port", str(port), "--workers",
         str(workers), "--db", db, "--key-file", str(key), *options],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    served = Served(process, port)
    for _ in range(1200):  # up to two minutes on a loaded machine
        if process.poll() is not None:
            raise AssertionError(f"le service s'est arrêté : {process.stderr.read()[-2000:]}")
        try:
            if len(served.workers()) == workers and httpx.get(
                    f"http://127.0.0.1:{port}/connexion", timeout=5).status_code == 200:
                return served
        except (httpx.HTTPError, psutil.Error):
            pass
        time.sleep(0.1)
    served.stop()
    raise AssertionError("le service n'a pas démarré")
