"""Chat layer shared by every adapter: command parsing, code extraction,
neutral replies and their rendering from core results."""

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
