"""Dashboard fixtures: the bot core's tiny curriculum, grader double and fresh
databases (SQLite and PostgreSQL) from tests/core/conftest.py, a seeded cohort,
and the dashboard's settings."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from bot.chat.handler import ChatHandler, Incoming
from bot.core.clock import ManualClock
from bot.core.signin import DashboardSite
from bot.core.types import Role
from bot.dashboard import create_app


def _core_fixtures() -> ModuleType:
    """tests/core/conftest.py under the name pytest gives it (one module, one
    set of session fixtures, whichever directory is collected first)."""
    name = "core.conftest"
    if name not in sys.modules:
        path = Path(__file__).parents[1] / "core" / "conftest.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_core = _core_fixtures()
T0 = _core.T0
FakeGrader = _core.FakeGrader
World = _core.World
db_url = _core.db_url
pg_url = _core.pg_url
tiny_curriculum = _core.tiny_curriculum
world = _core.world


SECRET = "test-dashboard-secret-0123456789abcdef"
HOSTILE_NAME = "<script>alert('name')</script>"
HOSTILE_CODE = "import torch\n# FAIL\nx = '<script>alert(\"code\")</script>'\n"


class Seeded:
    """A cohort with every heatmap state, a hostile member, a second cohort."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.coach = world.actor("coach", _core.Role.instructor)
        self.other_coach = world.actor("rival", _core.Role.instructor, channel="c2")
        self.cohort_id = 0
        self.other_cohort_id = 0
        self.subs: dict[str, int] = {}

    async def submit(self, who: str, ex: str, code: str, channel: str = "c1") -> int:
        actor = self.world.actor(who, channel=channel)
        if who == "mallory":
            actor = _core.Actor(actor.platform, actor.channel_id, "mallory", HOSTILE_NAME)
        receipt = await self.world.dojo.submit(actor, ex, code)
        await self.world.dojo.grade_pending()
        return receipt.submission_id

    async def build(self) -> Seeded:
        dojo, clock = self.world.dojo, self.world.clock
        c = await dojo.create_cohort(self.coach, "Torch Evenings", start=T0.date())
        c2 = await dojo.create_cohort(self.other_coach, "Other Cohort", start=T0.date())
        self.cohort_id, self.other_cohort_id = c.id, c2.id
        for who in ("alice", "bob", "carol"):
            await dojo.join(self.world.actor(who))
        clock.set(T0.replace(hour=10))
        self.subs["alice_1"] = await self.submit("alice", "1.1.1", "# PASS\n")
        self.subs["alice_2_fail"] = await self.submit("alice", "1.1.2", "# FAIL shape 3\n")
        self.subs["bob_1_fail"] = await self.submit("bob", "1.1.1", "# FAIL\n")
        self.subs["bob_1_fail2"] = await self.submit("bob", "1.1.1", "# FAIL again\n")
        self.subs["mallory"] = await self.submit("mallory", "1.1.1", HOSTILE_CODE)
        clock.set(T0.replace(day=3, hour=11))
        self.subs["alice_2"] = await self.submit("alice", "1.1.2", "# PASS now\n")
        self.subs["other"] = await self.submit("zed", "1.1.1", "# PASS elsewhere\n", "c2")
        clock.set(T0.replace(day=6, hour=12))
        return self


# ---- one browser against the app over HTTP ------------------------------------------

BASE = "http://dash.test"


class Browser:
    """One browser (cookie jar) against the app, with a clock for sign-ins."""

    def __init__(self, seeded: Seeded, client: httpx.AsyncClient, clock: ManualClock) -> None:
        self.seeded = seeded
        self.client = client
        self.clock = clock

    async def link(self, user: str = "coach", channel: str = "c1",
                   role: Role = Role.instructor) -> str:
        """The link the chat command answers with (the real handler)."""
        handler = ChatHandler(self.seeded.world.dojo)
        msg = Incoming("test", channel, user, user.title(), "/dojo dashboard", role)
        (reply,) = await handler.handle(msg)
        assert reply.private, "the link is for the asker's eyes only"
        # how long, not until when: a wall-clock time read from the bot's clock was
        # wrong in the console (a simulated clock) and in UTC for everyone
        assert "works once, for the next 15 minutes" in reply.text, reply.text
        found = re.search(r"(https?://\S+/signin/(\S+))", reply.text)
        assert found, reply.text
        return found.group(2)

    async def csrf(self, path: str) -> str:
        page = await self.client.get(path)
        assert page.status_code == 200, page.text
        return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]

    async def sign_in(self, token: str) -> httpx.Response:
        page = await self.client.get(f"/signin/{token}")
        if page.status_code != 200:
            return page
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        return await self.client.post(f"/signin/{token}", data={"csrf": csrf})


@pytest.fixture
async def browser(world, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Browser]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DASHBOARD_URL", BASE)
    monkeypatch.setenv("DASHBOARD_SECRET", SECRET)
    seeded = await Seeded(world).build()
    clock = ManualClock(datetime.now(UTC))
    app = create_app(world.dojo, DashboardSite(BASE, SECRET), clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as client:
        yield Browser(seeded, client, clock)
