"""Chat layer shared by every adapter: command parsing, code extraction,
neutral replies and their rendering from core results.

How an adapter (Discord, Slack, console) uses it — and nothing more:

1. ``rt = await bot.runtime.Runtime.start()`` (settings, migrations, grader, core);
2. per incoming message build an :class:`Incoming` (platform, channel, user,
   text, ``.py`` attachments as :class:`Attachment`, the id of the message it
   replies to, whether the channel sees it, and the platform role mapped to
   :class:`bot.core.Role`), call ``await ChatHandler(rt.dojo).handle(msg)`` and
   lay out each :class:`Reply` (``mention``: the user to address; ``private``:
   only the asker may see it; ``takedown``: remove the member's message; a
   reply with ``status_of`` is a submission's "grading…" message: post it and
   say where with ``handler.status_posted``);
3. implement ``Outbox.deliver(event) -> list[message ids]``: render with
   ``bot.chat.render.event(event)``; a verdict edits ``event.status``; a drill
   post returns one id per reply with an ``exercise_id``, so replies to it mean
   "submit for it";
4. ``rt.deliver_forever(platform, outbox)`` delivers verdicts (the core's
   notices), and ``await rt.scheduler(outbox).start()`` runs posts, windows,
   reminders and grading retries.
"""

from bot.chat.extract import Attachment, extract_code
from bot.chat.handler import ChatHandler, Incoming
from bot.chat.parser import Command, ParseError, parse
from bot.chat.replies import File, Image, Reply, Table

__all__ = [
    "Attachment",
    "ChatHandler",
    "Command",
    "File",
    "Image",
    "Incoming",
    "ParseError",
    "Reply",
    "Table",
    "extract_code",
    "parse",
]
