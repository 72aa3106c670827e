"""Running the dashboard: as its own service (``torchdojo dashboard serve``)
and inside the console, on a free localhost port beside the chat.

The service refuses to start without ``DASHBOARD_SECRET`` (it signs every
sign-in link and session; a made-up one per process would sign everyone out
on each restart and break links between replicas). The console, the embedded
default, makes one up once and keeps it in its output folder, so a newcomer's
``./scripts/run.sh`` needs no setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import uvicorn

from bot.config import ConfigError, Settings
from bot.core.errors import DojoError
from bot.core.signin import DashboardSite, SignIns
from bot.core.types import Actor, Role
from bot.dashboard.app import create_app

log = logging.getLogger(__name__)
SECRET_FILE = ".dashboard-secret"


class EmbeddedServer(uvicorn.Server):
    """uvicorn inside a program that owns its signals (the console's Ctrl-C,
    a test's loop): serve until told to stop, and leave SIGINT alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def site_for_service(settings: Settings, host: str, port: int) -> DashboardSite:
    """The site a standalone dashboard serves; ConfigError without a secret."""
    if not settings.dashboard_secret:
        raise ConfigError(
            "missing setting: DASHBOARD_SECRET (it signs sign-in links and sessions; the "
            "bot that hands out /dojo dashboard links needs the same value)")
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = settings.dashboard_url or f"http://{local}:{port}"
    return DashboardSite(url.rstrip("/"), settings.dashboard_secret)


async def serve_service(settings: Settings, host: str, port: int) -> None:
    """``torchdojo dashboard serve``: the app over the configured database."""
    from bot.runtime import Runtime

    site = site_for_service(settings, host, port)
    # Not the database's only process: leave other processes' gradings alone.
    rt = await Runtime.start(settings, serving=True, exclusive=False)
    try:
        config = uvicorn.Config(create_app(rt.dojo, site), host=host, port=port,
                                proxy_headers=True, forwarded_allow_ips="*",
                                server_header=False, log_level="info")
        await uvicorn.Server(config).serve()
    finally:
        await rt.close()


def _console_secret(output_dir: Path) -> str:
    """DASHBOARD_SECRET if set, else one kept (0600) in the console's folder."""
    configured = os.environ.get("DASHBOARD_SECRET")
    if configured:
        return configured
    path = output_dir / SECRET_FILE
    try:
        existing = path.read_text(encoding="utf-8").strip()
        if len(existing) >= 32:
            return existing
    except OSError:
        pass
    secret = secrets.token_urlsafe(32)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secret)
    except OSError:
        log.warning("could not keep the console's dashboard secret in %s", path)
    return secret


class ConsoleDashboard:
    """The dashboard served by the console process on 127.0.0.1 (free port).

    While it runs, this process's ``DASHBOARD_URL``/``DASHBOARD_SECRET`` point
    at it, so ``/dojo dashboard`` typed in the console hands out links that
    work; ``stop`` puts the environment back."""

    def __init__(self, runtime: Any, output_dir: Path) -> None:
        self.runtime = runtime
        self.site = DashboardSite("", _console_secret(output_dir))
        self._server: EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._saved: dict[str, str | None] = {}

    async def start(self) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.site = DashboardSite(url, self.site.secret)
        config = uvicorn.Config(create_app(self.runtime.dojo, self.site), log_config=None,
                                access_log=False, log_level="warning", server_header=False)
        self._server = EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():  # failed to start: say why
                self._task.result()
            await asyncio.sleep(0.01)
        for name, value in (("DASHBOARD_URL", url), ("DASHBOARD_SECRET", self.site.secret)):
            self._saved[name] = os.environ.get(name)
            os.environ[name] = value
        return url

    async def link_for(self, platform: str, channel_id: str, user: str) -> str | None:
        """A sign-in link for ``user`` as instructor of that channel's cohort."""
        actor = Actor(platform, channel_id, user, user, Role.instructor)
        try:
            token, _, _ = await SignIns(self.runtime.dojo.db, self.site.secret).issue(actor)
        except DojoError:  # no cohort on that channel (--no-demo): just the address
            return None
        return f"{self.site.base_url}/signin/{token}"

    async def stop(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 5)


async def start_console_dashboard(
    runtime: Any, say: Callable[[str], None], output_dir: Path | str,
    platform: str = "console", channel_id: str = "console", instructor: str = "coach",
) -> ConsoleDashboard | None:
    """Serve the dashboard beside the console and print a sign-in link for the
    demo cohort's instructor; a failure here never stops the console."""
    dash = ConsoleDashboard(runtime, Path(output_dir))
    try:
        url = await dash.start()
    except Exception as exc:
        log.warning("the dashboard could not start", exc_info=True)
        say(f"bot  (the instructor dashboard could not start: {exc})")
        return None
    link = await dash.link_for(platform, channel_id, instructor)
    if link:
        say(f"bot  🖥️ Instructor dashboard: {link}\n"
            f"     (sign-in link for {instructor}, works once for 15 minutes; later: "
            f"/dojo as {instructor} then /dojo dashboard)")
    else:
        say(f"bot  🖥️ Instructor dashboard at {url} — sign in with /dojo dashboard "
            "as an instructor of a cohort")
    return dash
