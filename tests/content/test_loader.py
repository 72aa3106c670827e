"""The loader names the file and field at fault for a check that names a judge, a probe or
inputs that do not exist, or arguments YAML reads wrongly."""

from __future__ import annotations

import importlib

import pytest

from curriculum import CurriculumError, load_from

BASE = """id: 1.1.1
title: t
week: 1
kind: drill
max_score: 1
summary: s
prompt: p
checks:
- id: c
  kind: python
{check}"""


def _load(tmp_path, check: str, probe_file: str = "", checks_file: str = ""):
    week = tmp_path / "week1"
    week.mkdir()
    (week / "1.1.1.yaml").write_text(BASE.format(check=check), encoding="utf-8")
    (week / "1.1.1.ref.py").write_text("x = 1\n", encoding="utf-8")
    if probe_file:
        (week / "1.1.1.probe.py").write_text(probe_file, encoding="utf-8")
    if checks_file:
        (week / "1.1.1.checks.py").write_text(checks_file, encoding="utf-8")
    return load_from(tmp_path)


@pytest.mark.parametrize(("check", "probe_file", "checks_file", "field", "says"), [
    ("  probe: calls.probe\n  judge: cases.no_such_judge\n", "", "", "checks.0.judge",
     "curriculum/judges/cases.py defines no 'no_such_judge'"),
    ("  probe: calls.probe\n  judge: my_judge\n", "", "", "checks.0.judge",
     "'my_judge' is not defined in 1.1.1.checks.py"),
    ("  probe: no_such_file.probe\n  judge: cases.results\n", "", "", "checks.0.probe",
     "no shared probe module curriculum/probes/no_such_file.py"),
    ("  probe: mine\n  judge: cases.results\n", "def other(ns, inputs):\n    return 1\n", "",
     "checks.0.probe", "'mine' is not defined in 1.1.1.probe.py"),
    ("  probe: calls.probe\n  judge: cases.results\n  args: {fn: f, rtol: 1e-5}\n", "", "",
     "checks.0.python.args", "rtol must be a number"),
    ("  probe: calls.probe\n  judge: cases.results\n  inputs: cases.nothing\n", "", "",
     "checks.0.inputs", "defines no 'nothing'"),
])
def test_a_broken_check_names_file_and_field(tmp_path, check, probe_file, checks_file, field,
                                             says):
    with pytest.raises(CurriculumError) as err:
        _load(tmp_path, check, probe_file, checks_file)
    assert "1.1.1.yaml" in str(err.value) and field in str(err.value) and says in str(err.value)


def test_a_working_check_gets_its_assembled_probe(tmp_path):
    probe = "from curriculum.probes.need import need\n\n\ndef mine(ns, inputs):\n" \
            "    return need(ns, PROBE_ARGS['name'])\n\n\nPROBE_ARGS: dict = {}\n"
    curriculum = _load(tmp_path, "  probe: mine\n  probe_args: {name: x}\n  judge: judge\n",
                       probe, "def judge(learner, reference, inputs, ctx):\n    return True, ''\n")
    code = curriculum.get("1.1.1").checks[0].probe_code
    assert "def need(ns, name)" in code and "from curriculum" not in code
    assert code.rstrip().endswith("probe = mine") and "PROBE_ARGS = {'name': 'x'}" in code
    scope: dict = {}
    exec(compile(code, "probe", "exec"), scope)
    assert scope["probe"]({"x": 41}, None) == 41


def test_every_check_argument_is_taken_by_its_judge_or_inputs(curriculum):
    """A misspelt argument in the YAML would be dropped silently (each function takes the
    arguments it names): every one must be named by the check's judge or inputs."""
    from grader.checks.python import _keywords

    unknown = []
    for ex in curriculum.ordered():
        scope: dict = {"__name__": "checks"}
        if ex.checks_source:
            exec(compile(ex.checks_source, f"{ex.id}.checks.py", "exec"), scope)
        for check in ex.checks:
            if check.kind != "python" or not check.args:
                continue
            taken: set[str] = set()
            for name in filter(None, (check.judge, check.inputs)):
                if "." in name:
                    module, _, function = name.partition(".")
                    fn = getattr(importlib.import_module(f"curriculum.judges.{module}"), function)
                else:
                    fn = scope[name]
                keys = _keywords(fn)
                taken |= set(check.args) if keys is None else keys
            unknown += [f"{ex.id} {check.id}: {k}" for k in check.args if k not in taken]
    assert not unknown, unknown


def test_no_prompt_text_turns_into_markdown_emphasis(curriculum):
    """A product written in plain text (``Linear(64*5*5,128)``, ``grad = 3*x**2``) is
    rendered as Markdown by the console, Discord and Slack: ``*5*`` becomes an italic 5
    and the numbers read "6455". Such text goes in backticks or uses ·/×."""
    import re

    found = []
    for exercise in curriculum.exercises.values():
        for field in ("prompt", "summary"):
            text = getattr(exercise, field, "") or ""
            text = re.sub(r"```.*?```", "", text, flags=re.S)
            text = re.sub(r"`[^`\n]*`", "", text)
            found += [(exercise.id, field, m.group(0)[:40])
                      for m in re.finditer(r"\w\*\w[^\n*]*\*", text)]
    assert not found, found
