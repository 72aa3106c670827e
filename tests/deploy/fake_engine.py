"""A stand-in for a Docker engine, for the per-job container backend's tests.

No engine exists on CI machines, so this implements exactly the SDK surface
``grader.container`` calls (``containers.create``, ``api.attach_socket``,
``start``/``kill``/``wait``/``reload``/``remove``, ``images.get``, ``ping``).
What it does with it is real where it can be:

- ``create`` converts the kwargs with the SDK's own
  ``docker.models.containers._create_container_args`` (what
  ``DockerClient.containers.create`` does before the HTTP call), so a kwarg the
  SDK rejects fails here too, and tests can read the ``HostConfig`` JSON the
  engine would receive;
- ``start`` runs the container's entrypoint and command as a local process
  (image paths mapped to this checkout), and the attach socket speaks the
  engine's multiplexed stream format (8-byte frame headers on stdout/stderr).

It enforces none of the container's limits: those are the engine's job and
are checked by the integration test where an engine exists.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import subprocess
import threading
from typing import Any

from docker.models.containers import _create_container_args

from grader import jail

API_VERSION = "1.45"
_ids = itertools.count(1)


class FakeContainer:
    def __init__(self, engine: FakeEngine, kwargs: dict[str, Any]) -> None:
        self.engine = engine
        self.kwargs = dict(kwargs)
        self.create_args = _create_container_args({**kwargs, "version": API_VERSION})
        self.id = f"fake{next(_ids):08d}"
        self.attrs: dict[str, Any] = {"State": {"OOMKilled": engine.report_oom}}
        self.proc: subprocess.Popen | None = None
        self.engine_side: socket.socket | None = None
        self.removed = False
        self._send_lock = threading.Lock()

    # the image's paths, mapped to this checkout
    def _argv(self) -> list[str]:
        exe, sites = jail.python_paths()
        argv = [*self.kwargs["entrypoint"], *self.kwargs["command"]]
        mapped = []
        for arg in argv:
            if arg == self.engine.settings.python:
                mapped.append(exe)
            elif arg == self.engine.settings.zygote:
                mapped.append(str(jail.SANDBOX_DIR / "zygote.py"))
            elif arg == self.engine.settings.site_dir:
                mapped.extend(sites)
            else:
                mapped.append(arg)
        return mapped

    def start(self) -> None:
        assert self.engine_side is not None, "attach before start, as docker run does"
        self.proc = subprocess.Popen(
            self._argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=self.kwargs["environment"], cwd="/tmp",
        )
        for pipe, stream in ((self.proc.stdout, 1), (self.proc.stderr, 2)):
            threading.Thread(target=self._pump_out, args=(pipe, stream), daemon=True).start()
        threading.Thread(target=self._pump_in, daemon=True).start()

    def _pump_out(self, pipe: Any, stream: int) -> None:
        while True:
            data = os.read(pipe.fileno(), 1 << 16)
            if not data:
                return
            # split like the engine may: never rely on one frame per write
            for i in range(0, len(data), 4096):
                part = data[i:i + 4096]
                frame = bytes([stream, 0, 0, 0]) + len(part).to_bytes(4, "big") + part
                with self._send_lock, contextlib.suppress(OSError):
                    self.engine_side.sendall(frame)

    def _pump_in(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        while True:
            try:
                data = self.engine_side.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                with contextlib.suppress(OSError):
                    self.proc.stdin.close()
                return
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except OSError:
                return

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()

    def wait(self, timeout: float | None = None) -> dict:
        code = self.proc.wait(timeout) if self.proc is not None else 0
        return {"StatusCode": code}

    def reload(self) -> None:
        pass

    def remove(self, force: bool = False) -> None:
        assert force
        self.kill()
        if self.proc is not None:
            self.proc.wait(10)
        if self.engine_side is not None:
            self.engine_side.close()
        self.removed = True


class FakeAPI:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine

    def attach_socket(self, container_id: str, params: dict) -> socket.SocketIO:
        assert params == {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
        container = self.engine.by_id[container_id]
        ours, theirs = socket.socketpair()
        container.engine_side = theirs
        # docker-py hands back the SocketIO under the HTTP response (unix socket)
        return socket.SocketIO(ours, "rwb")


class FakeContainers:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine

    def create(self, **kwargs: Any) -> FakeContainer:
        container = FakeContainer(self.engine, kwargs)
        self.engine.created.append(container)
        self.engine.by_id[container.id] = container
        return container


class FakeImages:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine

    def get(self, name: str) -> dict:
        if name not in self.engine.image_names:
            raise LookupError(f"No such image: {name}")
        return {"Id": name}


class FakeEngine:
    """``docker.DockerClient``'s surface, as far as ``grader.container`` uses it."""

    def __init__(self, settings: Any, images: tuple[str, ...] = ("torchdojo-grader:cpu",)) -> None:
        self.settings = settings
        self.image_names = set(images)
        self.images = FakeImages(self)
        self.report_oom = False
        self.created: list[FakeContainer] = []
        self.by_id: dict[str, FakeContainer] = {}
        self.containers = FakeContainers(self)
        self.api = FakeAPI(self)
        self.closed = False

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


__all__ = ["FakeEngine"]
