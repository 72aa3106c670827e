"""Who gets in, and what they can reach: the dashboard over HTTP (the real app
through httpx's ASGI transport) on SQLite and PostgreSQL.

Sign-in links come from the real chat command; refused are expired, reused,
tampered, other-cohort and member links; every POST needs its CSRF token; an
instructor cannot reach another cohort's submission by editing the URL; learner
names and code render as text."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from bot.chat.handler import ChatHandler, Incoming
from bot.core.clock import ManualClock
from bot.core.signin import CLOCK_SKEW, LINK_TTL, DashboardSite, SignIns
from bot.core.types import Actor, Role
from bot.dashboard import create_app
from bot.dashboard.app import SESSION_COOKIE

from .conftest import BASE, HOSTILE_NAME, SECRET, Browser, Seeded

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_sign_in_from_chat_then_every_page(browser: Browser) -> None:
    seeded = browser.seeded
    token = await browser.link()
    # a link preview (chat unfurl, mail scanner) fetches the page: that uses nothing
    assert (await browser.client.get(f"/signin/{token}")).status_code == 200
    signed = await browser.sign_in(token)
    assert signed.status_code == 303 and signed.headers["location"] == f"/c/{seeded.cohort_id}/"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(SESSION_COOKIE) and "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower() and "secure" not in cookie.lower()
    cid = seeded.cohort_id
    for path in (f"/c/{cid}/", f"/c/{cid}/?week=all&sort=points", f"/c/{cid}/exercises/1.1.1",
                 f"/c/{cid}/submissions/{seeded.subs['bob_1_fail']}", f"/c/{cid}/challenges",
                 f"/c/{cid}/schedule", f"/c/{cid}/export",
                 f"/c/{cid}/members/{await seeded.world.member_id('bob')}"):
        page = await browser.client.get(path)
        assert page.status_code == 200, (path, page.text[-500:])
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "same-origin"
    home = await browser.client.get("/")
    assert home.status_code == 303 and home.headers["location"] == f"/c/{cid}/"
    sheet = await browser.client.get(f"/c/{cid}/export/submissions.csv")
    disposition = 'attachment; filename="torch-evenings-submissions.csv"'
    assert sheet.headers["content-disposition"] == disposition
    assert sheet.text.count("\n") == 7  # header + the cohort's six submissions


async def test_refused_links(browser: Browser) -> None:
    seeded = browser.seeded
    # tampered: one character of the signature changed, or the payload re-signed elsewhere
    token = await browser.link()
    body, stamp, signature = token.split(".")
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    assert (await browser.client.get(f"/signin/{body}.{stamp}.{flipped}")).status_code == 403
    # the payload pointed at the other cohort, signature kept
    data = json.loads(base64_decode(body))
    data["c"] = seeded.other_cohort_id
    moved = base64_encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    assert (await browser.client.get(f"/signin/{moved}.{stamp}.{signature}")).status_code == 403
    assert (await browser.client.post(f"/signin/{moved}.{stamp}.{signature}", data={
        "csrf": await browser.csrf(f"/signin/{token}")})).status_code == 403
    forged = URLSafeTimedSerializer("not-the-secret-" * 3, salt="torchdojo.dashboard.signin")
    payload = {"t": "x", "c": seeded.cohort_id, "u": "coach"}
    assert (await browser.client.get(f"/signin/{forged.dumps(payload)}")).status_code == 403
    # reused: the second use is refused, also when both come from one page
    first = await browser.sign_in(token)
    assert first.status_code == 303
    again = await browser.client.post(f"/signin/{token}", data={
        "csrf": await browser.csrf(f"/c/{seeded.cohort_id}/")})
    assert again.status_code == 403 and "already used" in again.text
    # expired: the link's clock moves past its lifetime
    other = Browser(seeded, browser.client, browser.clock)
    stale = await SignIns(seeded.world.db, SECRET, browser.clock).issue(seeded.coach)
    browser.clock.advance(LINK_TTL + timedelta(seconds=1))
    page = await other.client.get(f"/signin/{stale[0]}")
    assert page.status_code == 403 and "expired" in page.text
    # a member asks: refused in chat, privately; no link exists to use
    handler = ChatHandler(seeded.world.dojo)
    (reply,) = await handler.handle(Incoming("test", "c1", "bob", "Bob", "/dojo dashboard"))
    assert reply.private and "only instructors" in reply.text.lower()
    assert "/signin/" not in reply.text
    # a well-signed token naming a member (as if a bug had issued one) has no row: refused
    real = URLSafeTimedSerializer(SECRET, salt="torchdojo.dashboard.signin")
    member_token = real.dumps({"t": "made-up", "c": seeded.cohort_id, "u": "bob"})
    assert (await other.client.get(f"/signin/{member_token}")).status_code == 403


async def test_other_cohort_stays_closed(browser: Browser) -> None:
    """A link of cohort 2 opens cohort 2 only; cohort 1's pages and its
    submissions stay refused, under either cohort's URL."""
    seeded = browser.seeded
    assert (await browser.sign_in(await browser.link("rival", "c2"))).status_code == 303
    own = seeded.other_cohort_id
    assert (await browser.client.get(f"/c/{own}/")).status_code == 200
    mallory = await seeded.world.member_id("mallory")
    for path in (f"/c/{seeded.cohort_id}/", f"/c/{seeded.cohort_id}/export/submissions.csv",
                 f"/c/{seeded.cohort_id}/submissions/{seeded.subs['mallory']}",
                 f"/c/{seeded.cohort_id}/members/{mallory}"):
        refused = await browser.client.get(path)
        assert refused.status_code == 403, path
        assert HOSTILE_NAME not in refused.text and "Mallory" not in refused.text
    # their own cohort's URL with another cohort's submission id: not found
    sneaky = await browser.client.get(f"/c/{own}/submissions/{seeded.subs['mallory']}")
    assert sneaky.status_code == 404 and "import torch" not in sneaky.text
    sneaky = await browser.client.get(f"/c/{own}/members/{mallory}")
    assert sneaky.status_code == 404 and HOSTILE_NAME not in sneaky.text
    csrf = await browser.csrf(f"/c/{own}/")
    regrade = await browser.client.post(
        f"/c/{own}/submissions/{seeded.subs['mallory']}/regrade", data={"csrf": csrf})
    assert regrade.status_code == 303  # refused with a notice, nothing queued
    page = await browser.client.get(regrade.headers["location"])
    assert "No submission #" in page.text  # the refusal, as a sentence
    assert await seeded.world.dojo.grade_pending() == []
    pause = await browser.client.post(f"/c/{seeded.cohort_id}/schedule/pause",
                                      data={"csrf": csrf})
    assert pause.status_code == 403
    assert not (await browser.seeded.world.dojo.cohort_info(seeded.coach)).paused


async def test_every_post_needs_its_csrf_token(browser: Browser) -> None:
    seeded = browser.seeded
    assert (await browser.sign_in(await browser.link())).status_code == 303
    cid, sid = seeded.cohort_id, seeded.subs["bob_1_fail"]
    token = await browser.link()
    routes = [f"/signin/{token}", "/signout", f"/c/{cid}/schedule/pause",
              f"/c/{cid}/schedule/resume", f"/c/{cid}/challenges/open",
              f"/c/{cid}/submissions/{sid}/regrade"]
    app = browser.client._transport.app  # type: ignore[attr-defined]
    posts = {r.path for r in app.routes if "POST" in (getattr(r, "methods", None) or ())}
    assert len(posts) == len(routes)  # a new action must be added here
    good = await browser.csrf(f"/c/{cid}/")
    for path in routes:
        for data in ({}, {"csrf": "forged" + good[6:]}):
            refused = await browser.client.post(path, data=data)
            assert refused.status_code == 403, (path, data)
    # the right token from another site is refused too
    cross = await browser.client.post(f"/c/{cid}/schedule/pause", data={"csrf": good},
                                      headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert not (await seeded.world.dojo.cohort_info(seeded.coach)).paused
    # and with both, it works
    done = await browser.client.post(f"/c/{cid}/schedule/pause", data={"csrf": good},
                                     headers={"Origin": BASE})
    assert done.status_code == 303
    assert (await seeded.world.dojo.cohort_info(seeded.coach)).paused


async def test_learner_text_is_escaped(browser: Browser) -> None:
    seeded = browser.seeded
    assert (await browser.sign_in(await browser.link())).status_code == 303
    cid = seeded.cohort_id
    for path in (f"/c/{cid}/?week=all", f"/c/{cid}/exercises/1.1.1",
                 f"/c/{cid}/submissions/{seeded.subs['mallory']}",
                 f"/c/{cid}/members/{await seeded.world.member_id('mallory')}"):
        page = await browser.client.get(path)
        assert "<script" not in page.text.lower(), path
        assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in page.text, path
    code = (await browser.client.get(f"/c/{cid}/submissions/{seeded.subs['mallory']}")).text
    assert '&lt;script&gt;alert("code")&lt;/script&gt;' in code  # highlighted, as text


async def test_a_members_page_lists_the_hints_they_revealed(browser: Browser) -> None:
    """An instructor could not see why a member's first pass scored less than its points."""
    seeded = browser.seeded
    await seeded.world.dojo.hint(seeded.world.actor("bob"), "1.1.1", reveal=True)
    assert (await browser.sign_in(await browser.link())).status_code == 303
    bob = await seeded.world.member_id("bob")
    page = (await browser.client.get(f"/c/{seeded.cohort_id}/members/{bob}")).text
    assert '<h2>Hints revealed</h2>' in page and 'id="member-hints"' in page
    row = re.search(r'<table class="list" id="member-hints">.*?</table>', page, re.S)
    assert row and "1.1.1" in row.group(0) and "point" in row.group(0), page
    alice = await seeded.world.member_id("alice")
    assert "Hints revealed" not in (await browser.client.get(
        f"/c/{seeded.cohort_id}/members/{alice}")).text


async def test_a_members_page_shows_their_review_queue_and_challenge_times(
        browser: Browser) -> None:
    """An instructor saw points and passes but not what a member has to review, nor
    how their timed-challenge runs went: what ``/dojo review`` and ``/dojo progress``
    show the member."""
    seeded = browser.seeded
    world = seeded.world
    alice = world.actor("alice")
    await world.dojo.start_timer(alice, "1.4.1")
    world.clock.advance(timedelta(minutes=8, seconds=42))
    await seeded.submit("alice", "1.4.1", "# PASS\n")
    world.clock.advance(timedelta(days=2))
    await world.dojo.start_timer(alice, "1.4.1")  # a practice run, faster
    world.clock.advance(timedelta(minutes=6, seconds=30))
    await seeded.submit("alice", "1.4.1", "# PASS\n")
    assert (await browser.sign_in(await browser.link())).status_code == 303
    cid = seeded.cohort_id

    async def page_of(who: str) -> str:
        return (await browser.client.get(
            f"/c/{cid}/members/{await world.member_id(who)}")).text

    bob = await page_of("bob")  # failed 1.1.1 on day 1, never came back: overdue
    reviews = re.search(r'<table class="list" id="member-reviews">.*?</table>', bob, re.S)
    assert "<h2>Spaced review</h2>" in bob and reviews, bob
    assert "1.1.1" in reviews.group(0) and "overdue since Tue 03 Mar" in reviews.group(0)
    assert "1 due today" in bob and "Challenge times" not in bob
    assert f'<a href="/c/{cid}/exercises/1.1.1"><code>1.1.1</code>' in reviews.group(0)
    queue = await world.dojo.review(world.actor("bob"))  # the member's own view
    assert [r.item.id for r in queue.due] == ["1.1.1"]

    mine = await page_of("alice")  # 1.1.2 passed on day 3 after a fail: back on day 4
    reviews = re.search(r'<table class="list" id="member-reviews">.*?</table>', mine, re.S)
    assert reviews and "1.1.2" in reviews.group(0) and "overdue since Thu 05 Mar" in mine
    assert '<td class="num">1×</td>' in reviews.group(0)  # the day it passed was a review
    times = re.search(r'<table class="list" id="member-bests">.*?</table>', mine, re.S)
    assert "<h2>Challenge times</h2>" in mine and times, mine
    assert "1.4.1" in times.group(0) and "6:30" in times.group(0)  # the best
    assert "8:42 → 6:30, −25 %" in times.group(0)  # the last run against the one before
    carol = await page_of("carol")  # nothing failed, nothing timed
    assert "Spaced review" not in carol and "Challenge times" not in carol


async def test_a_syntax_errors_caret_stands_under_its_column(browser: Browser) -> None:
    """The caret line lost its line break (the template's trim_blocks ate it): the ``^``
    stood at the end of the quoted code instead of under column 5 on the next line."""
    seeded = browser.seeded
    receipt = await seeded.world.dojo.submit(seeded.world.actor("bob"), "1.1.2",
                                             "# FAIL SYNTAX\nx = (1\n")
    await seeded.world.dojo.grade_pending()
    assert (await browser.sign_in(await browser.link())).status_code == 303
    page = (await browser.client.get(
        f"/c/{seeded.cohort_id}/submissions/{receipt.submission_id}")).text
    assert "x = (1\n    ^</pre>" in page, page[page.find("x = (1") - 200:][:400]


async def test_bidirectional_controls_are_shown_not_obeyed(browser: Browser) -> None:
    """A name or code holding U+202E would show the text after it backwards
    (Trojan Source): every page shows the control as ⟨U+202E⟩ instead."""
    seeded = browser.seeded
    world = seeded.world
    base = world.actor("trudy")
    actor = Actor(base.platform, base.channel_id, "trudy", "trudy \u202eFAIL\u2066")
    code = "import torch\n# FAIL\nok = 'access\u202e \u2066# admin\u2069 \u2066'\n"
    receipt = await world.dojo.submit(actor, "1.1.1", code)
    await world.dojo.grade_pending()
    assert (await browser.sign_in(await browser.link())).status_code == 303
    cid = seeded.cohort_id
    for path in (f"/c/{cid}/?week=all", f"/c/{cid}/exercises/1.1.1",
                 f"/c/{cid}/submissions/{receipt.submission_id}",
                 f"/c/{cid}/members/{await world.member_id('trudy')}"):
        page = (await browser.client.get(path)).text
        assert not re.search("[\u202a-\u202e\u2066-\u2069]", page), path
        assert "trudy ⟨U+202E⟩FAIL⟨U+2066⟩" in page, path
    page = (await browser.client.get(f"/c/{cid}/submissions/{receipt.submission_id}")).text
    assert "access⟨U+202E⟩" in page  # in the highlighted code too


async def test_sign_out_ends_the_session_on_the_server(browser: Browser) -> None:
    seeded = browser.seeded
    assert (await browser.sign_in(await browser.link())).status_code == 303
    cookie = browser.client.cookies.get(SESSION_COOKIE)
    csrf = await browser.csrf(f"/c/{seeded.cohort_id}/")
    assert (await browser.client.post("/signout", data={"csrf": csrf})).status_code == 303
    # replaying the old cookie does not bring the session back
    browser.client.cookies.set(SESSION_COOKIE, cookie)
    assert (await browser.client.get(f"/c/{seeded.cohort_id}/")).status_code == 403


async def test_https_site_sets_secure_cookies(world) -> None:  # type: ignore[no-untyped-def]
    seeded = await Seeded(world).build()
    site = DashboardSite("https://dash.example", SECRET)
    app = create_app(world.dojo, site)
    token, _, _ = await SignIns(world.db, SECRET).issue(seeded.coach)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="https://dash.example") as client:
        page = await client.get(f"/signin/{token}")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        signed = await client.post(f"/signin/{token}", data={"csrf": csrf})
    assert signed.status_code == 303 and "secure" in signed.headers["set-cookie"].lower()


async def test_chat_command_without_settings_says_so(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DASHBOARD_URL", raising=False)
    monkeypatch.delenv("DASHBOARD_SECRET", raising=False)
    seeded = await Seeded(world).build()
    handler = ChatHandler(seeded.world.dojo)
    (reply,) = await handler.handle(Incoming("test", "c1", "coach", "Coach", "/dojo dashboard",
                                             Role.instructor))
    assert "not set up" in reply.text and "DASHBOARD_URL" in reply.text


async def test_a_link_signed_by_a_clock_a_little_ahead_works(browser: Browser) -> None:
    """The bot signing a link may read a clock ahead of the dashboard's (another
    machine; or, on one, the next second): up to CLOCK_SKEW that is no reason
    to call a fresh link expired; far ahead it is refused."""
    seeded = browser.seeded
    ahead = ManualClock(browser.clock.now() + timedelta(seconds=30))
    token, _, _ = await SignIns(seeded.world.db, SECRET, ahead).issue(seeded.coach)
    assert (await browser.sign_in(token)).status_code == 303
    far = ManualClock(browser.clock.now() + CLOCK_SKEW + timedelta(minutes=1))
    token, _, _ = await SignIns(seeded.world.db, SECRET, far).issue(seeded.coach)
    page = await browser.client.get(f"/signin/{token}")
    assert page.status_code == 403 and "expired" in page.text


async def test_a_database_that_cannot_be_reached_is_a_503_page(browser: Browser,
                                                               tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """The database's volume goes away under a signed-in instructor: every page
    says the database is unreachable (503, retry), never a server error, and
    the pages come back with it. (PostgreSQL going down is tested through a
    proxy in tests/dispatch/test_db_restart.py.)"""
    import os

    db = browser.seeded.world.dojo.db
    if not db.is_sqlite:
        pytest.skip("a SQLite file whose directory disappears; PostgreSQL: tests/dispatch")
    token = await browser.link()
    assert (await browser.sign_in(token)).status_code == 303
    cid = browser.seeded.cohort_id
    folder = os.path.dirname(db.engine.url.database or "")
    away = str(tmp_path_factory.mktemp("moved")) + "/db"
    await db.engine.dispose()  # the open connections go with the volume
    os.rename(folder, away)
    try:
        for path in (f"/c/{cid}/", f"/c/{cid}/schedule", f"/c/{cid}/export/members.csv"):
            page = await browser.client.get(path)
            assert page.status_code == 503, (path, page.status_code, page.text[-300:])
            assert "cannot reach its database" in page.text
            assert page.headers["retry-after"] == "30"
    finally:
        os.rename(away, folder)
    assert (await browser.client.get(f"/c/{cid}/")).status_code == 200


async def test_numbers_past_the_database_are_refused_not_a_server_error(
        browser: Browser) -> None:
    """A 23-digit member id reached SQLite (OverflowError: a 500), and so did a 30-digit
    window length reach timedelta; they are a 404 and the form's notice."""
    seeded = browser.seeded
    cid = seeded.cohort_id
    assert (await browser.sign_in(await browser.link())).status_code == 303
    huge = "9" * 23
    for path in (f"/c/{cid}/members/{huge}", f"/c/{cid}/submissions/{huge}", f"/c/{huge}/"):
        assert (await browser.client.get(path)).status_code == 404, path
    csrf = await browser.csrf(f"/c/{cid}/challenges")
    done = await browser.client.post(f"/c/{cid}/challenges/open", data={
        "csrf": csrf, "exercise": "1.4.1", "start": "", "minutes": "9" * 30})
    assert done.status_code == 303
    page = (await browser.client.get(done.headers["location"])).text
    assert "between 1 minute and 14 days" in page, page[-500:]
