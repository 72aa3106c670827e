"""Pieces of HTML the dashboard builds in Python: an exercise's chat-sized
prompt (Markdown written for chat) as HTML, with everything else escaped."""

from __future__ import annotations

from bot.dashboard.render import chat_text, templates


def test_a_chat_prompt_becomes_lists_code_and_bold_not_raw_markdown() -> None:
    summary = ("**Practice Set 1: torch.zeros() — 10 variants** (10 points)\n"
               "Bind `zeros_1` … `zeros_10`, each built with **`torch.zeros()`**:\n"
               "- `zeros_1`: 2D shape (3,4)\n"
               "- `zeros_2`: 3D shape (2,3,4)\n"
               "Checked on hidden inputs.\n"
               "1. first\n"
               "2. second")
    html = str(chat_text(summary))
    assert "Practice Set 1" not in html  # the title line the page's heading already shows
    assert "**" not in html and "`" not in html
    assert html == (
        "<p>Bind <code>zeros_1</code> … <code>zeros_10</code>, each built with "
        "<strong><code>torch.zeros()</code></strong>:</p>"
        "<ul><li><code>zeros_1</code>: 2D shape (3,4)</li>"
        "<li><code>zeros_2</code>: 3D shape (2,3,4)</li></ul>"
        "<p>Checked on hidden inputs.</p>"
        "<ol><li>first</li><li>second</li></ol>")


def test_a_chat_prompt_stays_text() -> None:
    html = str(chat_text("- `<script>alert(1)</script>` and **<img src=x onerror=alert(2)>**\n"
                         "<b>raw</b> ** `"))
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in html
    assert "<strong>&lt;img src=x onerror=alert(2)&gt;</strong>" in html
    assert "<p>&lt;b&gt;raw&lt;/b&gt; ** `</p>" in html


def test_the_exercise_page_uses_it() -> None:
    source = templates().env.loader.get_source(templates().env, "exercise.html")[0]  # type: ignore[union-attr]
    assert "data.summary|chat_text" in source
