"""The dashboard in a real browser: Debian's Chromium driven by Playwright
against the app served by uvicorn on localhost (the console's embedded
server), on SQLite and PostgreSQL.

An instructor signs in through the link the chat command gives, sees the
heatmap of a seeded cohort, opens a member's page and an exercise, opens a submission whose
author and code carry ``<script>`` (shown as text, no dialog ever opens),
regrades it through the grading queue, pauses the cohort and opens a
challenge window from the form. Screenshots go
to tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.chat.handler import ChatHandler, Incoming
from bot.core.types import Role
from bot.dashboard.serve import ConsoleDashboard

from .conftest import HOSTILE_NAME, Seeded

CHROMIUM = os.environ.get("TORCHDOJO_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[1] / "artifacts"

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM} "
                       "(scripts/test.sh installs Debian's chromium)"),
]
# a dozen more members so the heatmap looks like a cohort: (name, PASS/FAIL per try)
CROWD = {
    "Ana": ["PASS", "PASS", "FAIL PASS"], "Ben": ["FAIL FAIL PASS", "FAIL"],
    "Chen": ["PASS", "PASS", "PASS"], "Dara": ["FAIL"], "Eli": [],
    "Farah": ["PASS", "FAIL PASS"], "Gus": ["FAIL FAIL"], "Hana": ["PASS", "PASS", "PASS"],
    "Ivo": ["PASS"], "Jun": ["FAIL PASS", "FAIL"], "Kira": [], "Lena": ["PASS", "FAIL"],
}
EXERCISES = ["1.1.1", "1.1.2", "1.2.1"]


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        await browser.close()


async def _crowd(seeded: Seeded) -> None:
    for name, tries in CROWD.items():
        await seeded.world.dojo.join(seeded.world.actor(name.lower()))
        for ex, attempts in zip(EXERCISES, tries, strict=False):
            for verdict in attempts.split():
                await seeded.submit(name.lower(), ex, f"# {verdict}\n")


async def test_instructor_flow_in_chromium(world, chromium, tmp_path: Path,  # type: ignore[no-untyped-def]
                                           monkeypatch: pytest.MonkeyPatch,
                                           request: pytest.FixtureRequest) -> None:
    monkeypatch.delenv("DASHBOARD_SECRET", raising=False)
    seeded = await Seeded(world).build()
    await _crowd(seeded)
    dash = ConsoleDashboard(SimpleNamespace(dojo=world.dojo), tmp_path)
    await dash.start()
    shots = ARTIFACTS / f"dashboard-{request.node.callspec.id}"
    shots.mkdir(parents=True, exist_ok=True)
    context = await chromium.new_context(viewport={"width": 1366, "height": 800})
    page = await context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    try:
        # the link, from the chat command an instructor types
        handler = ChatHandler(world.dojo)
        (reply,) = await handler.handle(Incoming("test", "c1", "coach", "Coach",
                                                 "/dojo dashboard", Role.instructor))
        url = re.search(r"http://\S+/signin/\S+", reply.text).group(0)  # type: ignore[union-attr]
        await page.goto(url)
        await page.screenshot(path=shots / "1-signin.png")
        await page.click("#signin")
        await page.wait_for_selector("#heatmap")
        assert "Signed in to Torch Evenings" in await page.inner_text(".flash")
        rows = page.locator("#heatmap tbody tr")
        assert await rows.count() == 4 + len(CROWD)
        hana = page.locator("#heatmap tbody tr", has_text="Hana")
        assert await hana.locator("td.h.first_try").count() == 3
        assert await page.locator("#heatmap td.h.failing").count() >= 5
        await page.screenshot(path=shots / "2-overview.png", full_page=True)
        # each heatmap cell's link says what it is (it was an empty link to screen readers)
        label = await hana.locator("td.h a").first.get_attribute("aria-label")
        assert label and label.startswith("1.1.") and ": " in label, label
        # on a phone the page is as wide as the screen: the top bar wraps (Sign out stays
        # on it), the heatmap scrolls in its card
        await page.set_viewport_size({"width": 375, "height": 800})
        await page.reload()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        box = await page.locator("button.link", has_text="Sign out").bounding_box()
        assert box and box["x"] + box["width"] <= 375, box
        await page.screenshot(path=shots / "2c-phone.png", full_page=True)
        await page.set_viewport_size({"width": 1366, "height": 800})

        await hana.locator("th.name a").click()  # the member's own page
        await page.wait_for_selector("#member-submissions")
        assert await page.inner_text("h1.member") == "Hana"
        assert await page.locator("#member-exercises tbody tr").count() == 3
        await page.screenshot(path=shots / "2b-member.png", full_page=True)
        await page.go_back()
        # a member who failed shows what comes back for review, due in their own days
        await page.locator("#heatmap tbody tr", has_text="Ben").locator("th.name a").click()
        await page.wait_for_selector("#member-reviews")
        assert await page.locator("#member-reviews tbody tr").count() == 2  # 1.1.1, 1.1.2
        assert "due today" in await page.inner_text("section.card:has(#member-reviews)")
        await page.screenshot(path=shots / "2d-member-reviews.png", full_page=True)
        await page.go_back()

        await page.click("#heatmap thead th.ex >> text=1.1.1")
        await page.wait_for_selector("text=Checks that fail most")
        assert "pass rate" in await page.inner_text(".stats")
        await page.screenshot(path=shots / "3-exercise.png", full_page=True)

        await page.click(f"a[href$='/submissions/{seeded.subs['mallory']}']")
        await page.wait_for_selector("#regrade")
        assert await page.inner_text("strong.member") == HOSTILE_NAME  # shown as text
        assert '<script>alert("code")</script>' in await page.inner_text(".codebox")
        await page.screenshot(path=shots / "4-submission.png", full_page=True)

        await page.click("#regrade")
        await page.wait_for_selector("text=queued for grading again")
        assert (await page.inner_text("#status")).strip() in ("queued", "grading", "failed")
        await world.dojo.dispatcher.settle()  # the regrade was kicked into the one queue
        await page.reload()
        assert (await page.inner_text("#status")).strip() == "failed"
        await page.screenshot(path=shots / "5-regraded.png", full_page=True)

        await page.click("nav.tabs >> text=Schedule")
        await page.click("#pause")
        await page.wait_for_selector("#resume")
        assert "Paused" in await page.inner_text(".flash")
        assert (await world.dojo.cohort_info(seeded.coach)).paused
        await page.screenshot(path=shots / "6-paused.png", full_page=True)

        await page.click("nav.tabs >> text=Challenges")
        await page.select_option("#open-window select[name=exercise]", "1.4.1")
        await page.fill("#open-window input[name=minutes]", "45")
        await page.click("#open-window button")
        await page.wait_for_selector(".flash")
        assert "1.4.1 Exercise 1.4.1: window from" in await page.inner_text(".flash")
        assert await page.locator(".windows li", has_text="cohort window").count() == 1
        await page.screenshot(path=shots / "7-challenge-opened.png", full_page=True)
        assert dialogs == []  # no learner text ever ran as script
    finally:
        await page.screenshot(path=shots / "last.png", full_page=True)  # where it stopped
        await context.close()
        await dash.stop()
