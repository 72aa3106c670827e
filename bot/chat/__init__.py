"""Chat layer shared by every adapter: command parsing, code extraction,
neutral replies and their rendering from core results.

How an adapter (Discord, Slack, console) uses it — and nothing more:

1. ``rt = await bot.runtime.Runtime.start()`` (settings, migrations, grader, core);
2. per incoming message build an :class:`Incoming` (platform, channel, user,
   text, ``.py`` attachments as :class:`Attachment`, the id of the message it
   replies to, and the platform role mapped to :class:`bot.core.Role`), call
   ``await ChatHandler(rt.dojo).handle(msg)`` and draw each :class:`Reply`
   (``mention`` is the user to address; ``ephemeral`` may be shown privately);
3. implement ``Outbox.deliver(event) -> list[message ids]``: render with
   ``bot.chat.render.event(event)`` and send each reply to
   ``event.target.channel_id``; return one id per reply that has an
   ``exercise_id`` (a drill post), so replies to it mean "submit for it";
4. ``await rt.scheduler(outbox).start()`` for posts, windows, reminders and
   retries of queued gradings.
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
