"""One code extractor for every adapter.

Accepts fenced blocks with or without a language tag (several blocks are
joined in order; blocks tagged as another language — ``text``, ``bash``,
``console`` — are skipped when python ones exist, and so is an untagged block
of output or a traceback pasted after the code), a forgotten closing fence,
and attached ``.py`` files. Code marked as another language (``js``) that does not
read as Python is refused, not graded. Problems come back as a sentence for the learner.
"""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass

from bot.code_text import dedent_code
from grader.limits import MAX_CODE_BYTES

PY_TAGS = {"", "py", "python", "python3", "pycon", "ipython", "torch", "pytorch"}
_FENCE = re.compile(r"```[ \t]*([^\n`]*)\n(.*?)(?:```|\Z)", re.S)
_INLINE = re.compile(r"```(.+?)```", re.S)


@dataclass
class Attachment:
    filename: str
    data: bytes
    #: Text typed or pasted into a platform's form (a Submit modal), not a file: read as
    #: a paste is (fences, smart quotes and no-break spaces), fences optional.
    pasted: bool = False


@dataclass
class Extracted:
    code: str | None
    source: str  # "block", "blocks", "file", ""
    problem: str | None = None
    hint: str | None = None  # what to do about the problem


def is_utf8(text: str) -> bool:
    """False when the text carries undecodable bytes: lone surrogates, as a
    terminal reading non-UTF-8 input (surrogateescape) or a JSON client sends them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: What to do when the code is too large (a whole notebook, a data file pasted in).
TOO_LARGE_HINT = "send only the code the exercise asks for (its names, classes and functions)"


def _decode(data: bytes, name: str) -> tuple[str | None, str | None]:
    if len(data) > MAX_CODE_BYTES:
        return None, (
            f"{name} is {len(data) / 1024:.0f} KB; the limit is {MAX_CODE_BYTES // 1024} KB"
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 1 and data.count(0) * 3
                                                        > len(data)):
        return None, (f"{name} is not UTF-8 text (it looks like UTF-16); save it as UTF-8 and "
                      "attach it again")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, f"{name} is not UTF-8 text; save it as UTF-8 and attach it again"


#: What copying code through a web page or a chat client puts into it, invisibly:
#: no-break spaces for spaces, zero-width spaces and joiners, a byte-order mark.
#: Python refuses each ("invalid non-printable character U+00A0") at a spot the
#: learner cannot see; a pasted block is read with them as the spaces (or
#: nothing) they stand for. Attached files are read as they are.
_PASTE_DAMAGE = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u200b": None,
                               "\u2060": None, "\ufeff": None})


#: A phone keyboard's "smart punctuation" turns the quotes of code typed in a chat
#: app into typographic ones, which Python refuses (invalid character '“').
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


def _undamaged(code: str) -> str:
    code = code.translate(_PASTE_DAMAGE)
    if not any(q in code for q in "“”„‘’"):
        return code
    try:  # typographic quotes a string may hold on purpose are left alone
        ast.parse(code)  # parsed only (no compile, no constant folding), never run
        return code
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        pass
    straight = code.translate(_SMART_QUOTES)
    try:
        ast.parse(straight)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return code  # broken either way: the grader says where, on the code as sent
    return straight


def _parses(code: str) -> bool:
    try:
        ast.parse(code)  # parsed only (no compile, no constant folding), never run
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def _without_output(bodies: list[str], tags: list[str]) -> str:
    """The blocks joined, less untagged blocks that are not Python when the rest is.

    Learners paste their code and then what it printed (a traceback, a tensor)
    in a second, untagged block. Joined, the whole submission is a syntax error
    on a line of output; such a block is left out when the code parses without
    it. Code split over several blocks parses joined and is kept whole; code
    that is broken anyway is graded as sent, so the grader says where."""
    code = _undamaged("\n\n".join(bodies) + "\n")
    if len(bodies) < 2 or len(tags) != len(bodies) or len(code) > MAX_CODE_BYTES \
            or _parses(code):
        return code
    kept = [body for body, tag in zip(bodies, tags, strict=True)
            if tag != "" or _parses(_undamaged(body + "\n"))]
    if not kept or len(kept) == len(bodies):
        return code
    rest = _undamaged("\n\n".join(kept) + "\n")
    return rest if _parses(rest) else code


#: What may follow an opening fence as its language tag: one word (``python``, ``py3``,
#: ``c++``, ``{python}``). Anything else there is the first line of the code: Slack's
#: composer sends a block as ```` ```import torch ```` with no newline after the fence.
_TAG = re.compile(r"[\w+#.{}-]{1,32}")


def _fenced(text: str) -> list[tuple[str, str]]:
    """(language tag, body) of each fenced block, the tag lower-cased ("" when none)."""
    blocks = []
    for first, body in _FENCE.findall(text):
        tag = first.strip()
        if not tag or (_TAG.fullmatch(tag) and not keyword.iskeyword(tag)):
            blocks.append((tag.lower(), body))
        else:
            blocks.append(("", f"{first.rstrip()}\n{body}"))
    return blocks


#: Tags of other languages: a block marked so that does not parse as Python is not a
#: submission (a learner's JavaScript got a SyntaxError verdict, a review card and a hint
#: offer). One that parses is graded: the tag was a slip.
OTHER_LANGUAGES = frozenset({
    "js", "javascript", "jsx", "ts", "typescript", "tsx", "java", "c", "h", "cpp", "c++",
    "cc", "cxx", "cs", "csharp", "c#", "go", "golang", "rust", "rs", "ruby", "rb", "php",
    "kotlin", "kt", "swift", "r", "julia", "jl", "matlab", "octave", "scala", "lua", "perl",
    "haskell", "hs", "dart", "sql", "html", "css", "xml", "json", "yaml", "yml", "toml",
    "cuda", "fortran"})


def _other_language(blocks: list[tuple[str, str]]) -> str | None:
    """The tag when every block with code is marked as another language and none of
    them reads as Python; else None."""
    tags = [tag for tag, body in blocks if body.strip()]
    if not tags or any(tag not in OTHER_LANGUAGES for tag in tags):
        return None
    if any(_parses(_undamaged(body.strip("\n") + "\n")) for _, body in blocks if body.strip()):
        return None
    return tags[0]


def extract_code(text: str, attachments: list[Attachment] | None = None) -> Extracted:
    """Find the learner's code in a message (blocks first, then a .py attachment)."""
    blocks = _fenced(text or "")
    if not blocks:
        blocks = [("", m) for m in _INLINE.findall(text or "") if m.strip()]
        if not blocks and re.search(r"```\s*```", text or ""):
            return Extracted(None, "", "your code block is empty",
                             "paste your code between the ``` fences")
    elif not any(body.strip() for _, body in blocks):
        return Extracted(None, "", "your code block is empty",
                         "paste your code between the ``` fences")
    python = [body for tag, body in blocks if tag in PY_TAGS]
    other = _other_language(blocks) if not python else None
    if other:
        return Extracted(None, "", f"your code block is marked `{other}`, and it does not "
                                   "read as Python",
                         "send the Python code, in a ```python code block```")
    chosen = python or [body for _, body in blocks]
    chosen = [b.strip("\n") for b in chosen if b.strip()]
    if chosen:
        code = _without_output(chosen, [tag for tag, body in blocks
                                        if body.strip() and (tag in PY_TAGS or not python)])
        if len(code.encode("utf-8", "surrogatepass")) > MAX_CODE_BYTES:
            size = len(code.encode("utf-8", "surrogatepass")) / 1024
            return Extracted(
                None, "", f"your code is {size:.0f} KB; the limit is {MAX_CODE_BYTES // 1024} KB",
                TOO_LARGE_HINT)
        if not is_utf8(code):  # undecodable bytes a terminal or a client let through
            return Extracted(None, "", "your code is not UTF-8 text; save it as UTF-8 and "
                                       "paste it again")
        return Extracted(dedent_code(code), "blocks" if len(chosen) > 1 else "block")
    for att in attachments or []:
        if att.pasted:
            return _from_form(att)
        if att.filename.lower().endswith(".py"):
            code, problem = _decode(att.data, att.filename)
            if problem:
                return Extracted(None, "", problem,
                                 TOO_LARGE_HINT if len(att.data) > MAX_CODE_BYTES else None)
            if code is not None and code.strip():
                return Extracted(dedent_code(code), "file")
            return Extracted(None, "", f"{att.filename} is empty",
                             "save your code in it and attach it again, or paste the code in "
                             "a ```python code block```")
    if attachments:
        names = ", ".join(a.filename for a in attachments)
        return Extracted(None, "", f"I can only read .py attachments (got {names})",
                         "attach your code as a .py file, or paste it in a ```python code "
                         "block```")
    return Extracted(None, "", None)


def _from_form(att: Attachment) -> Extracted:
    """The code box of a Submit form: a fenced block pasted in is read as in a message;
    bare code as it is, less what copying through a web page or a phone puts in."""
    code, problem = _decode(att.data, "your code")
    if problem:
        return Extracted(None, "", problem,
                         TOO_LARGE_HINT if len(att.data) > MAX_CODE_BYTES else None)
    if code is not None and "```" in code:
        return extract_code(code)
    if code is None or not code.strip():
        return Extracted(None, "", "the code box is empty", "paste your code into it")
    return Extracted(dedent_code(_undamaged(code.rstrip() + "\n")), "block")  # lines kept


_CODE_LINE = re.compile(r"^\s*(import \w|from [\w.]+ import |def \w|class \w|[A-Za-z_][\w.]*"
                        r"(\[[^\]]*\])?\s*[-+*/]?=[^=])", re.M)


def looks_like_code(text: str) -> bool:
    """Python pasted without a code block: it parses, and binds or imports
    something (``zeros_1 = torch.zeros(3, 4)``, ``import torch``). A chat line
    such as ``thanks!`` or ``x = 5 is what I got`` is not. Inside one pair of single
    backticks (inline code, which chat clients show but no block) it still is."""
    text = (text or "").strip()
    if len(text) > 2 and text[0] == text[-1] == "`" and "`" not in text[1:-1]:
        text = text[1:-1].strip()
    if not text or "```" in text or not _CODE_LINE.search(text):
        return False
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return any(isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Import,
                                 ast.ImportFrom, ast.FunctionDef, ast.ClassDef))
               for node in tree.body)
