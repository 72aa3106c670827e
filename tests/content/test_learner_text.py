"""Learner-facing text speaks to learners: never of "the seed" (the course authors' word for
their source text), and corrections read as notes ("Note: …").

Checked: every exercise's title, summary, prompt, starter, check titles and errata, and the
messages the judges can send (string literals in the judging code). Random seeds are fine
(`torch.manual_seed`, `config.seed`, "seeded"). curriculum/ERRATA.md, for maintainers,
may speak of the source text.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from curriculum import load_curriculum

ROOT = Path(__file__).resolve().parents[2]
RANDOM_SEED = re.compile(r"manual_seed|config\.seed|\bseed\s*[=:]|`seed`|random seed|\bseeded\b|"
                         r"\bseeding\b|global seed", re.I)
AUTHORS_WORD = re.compile(r"\bseed", re.I)
IDS = [e.id for e in load_curriculum().ordered()]


def _authors_word(text: str) -> list[str]:
    cleaned = RANDOM_SEED.sub("", text)
    return [cleaned[max(0, m.start() - 40):m.end() + 40] for m in AUTHORS_WORD.finditer(cleaned)]


@pytest.mark.parametrize("exercise_id", IDS)
def test_learner_facing_fields_never_say_seed(curriculum, exercise_id):
    ex = curriculum.get(exercise_id)
    fields = {"title": ex.title, "summary": ex.summary, "prompt": ex.prompt,
              "starter": ex.starter, "errata": "\n".join(ex.errata),
              **{f"checks.{c.id}.title": c.title for c in ex.checks}}
    found = {name: hits for name, text in fields.items() if (hits := _authors_word(text))}
    assert not found, found
    assert all(e.startswith("Note") for e in ex.errata), ex.errata
    assert "### Errata" not in ex.prompt


def _message_literals(path: Path) -> list[tuple[int, str]]:
    """String literals of a judging module, docstrings excepted (those are for maintainers)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docs and node.value != "seed"]


def test_judge_messages_never_say_seed():
    files = [*ROOT.glob("curriculum/judges/*.py"), *ROOT.glob("curriculum/week*/*.checks.py"),
             *ROOT.glob("grader/checks/*.py")]
    found = [f"{path.relative_to(ROOT)}:{line}: {text[:80]!r}"
             for path in sorted(files) for line, text in _message_literals(path)
             if _authors_word(text)]
    assert not found, "\n".join(found)
