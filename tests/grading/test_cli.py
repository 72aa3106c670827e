"""``torchdojo`` CLI: exit codes, JSON, stdin, and refusing to run unsandboxed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).with_name("torchdojo"))


def torchdojo(*args: str, stdin: bytes | None = None, env: dict | None = None):
    return subprocess.run([EXE, *args], input=stdin, capture_output=True, timeout=180,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def reference(curriculum, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "zeros.py"
    path.write_text(curriculum.get("1.1.1").reference)
    return path


def test_grade_json_passed_exit_0(reference):
    proc = torchdojo("grade", "1.1.1", str(reference), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "passed" and result["environment"]["sandbox"].startswith("bubble")


def test_grade_stdin_report_not_passed_exit_1(reference):
    wrong = reference.read_text().replace("torch.zeros(5)", "torch.ones(5)").encode()
    proc = torchdojo("grade", "1.1.1", "-", stdin=wrong)
    assert proc.returncode == 1
    out = proc.stdout.decode()
    assert "1.1.1: FAILED" in out and "zeros_3" in out and "9/10" in out


@pytest.mark.parametrize("args", [("grade", "9.9.9", "-"), ("grade", "1.1.1", "/nonexistent.py"),
                                  ("show", "1.1.77")])
def test_usage_errors_exit_2(args):
    proc = torchdojo(*args, stdin=b"x = 1")
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr


def test_exercises_and_show():
    listing = torchdojo("exercises", "--week", "1")
    assert listing.returncode == 0 and b"1.1.8" in listing.stdout
    shown = torchdojo("show", "1.1.6")
    assert shown.returncode == 0 and b"linspace_10" in shown.stdout


def test_refuses_without_namespaces_unless_unsafe(reference, tmp_path):
    no_bwrap = {"PATH": str(tmp_path)}  # bubblewrap cannot be found
    refused = torchdojo("grade", "1.1.1", str(reference), env=no_bwrap)
    assert refused.returncode == 2
    assert b"Refusing to grade untrusted code" in refused.stderr
    unsafe = torchdojo("grade", "1.1.1", str(reference), "--json", "--unsafe-no-sandbox",
                       env=no_bwrap)
    assert unsafe.returncode == 0, unsafe.stderr
    assert json.loads(unsafe.stdout)["environment"]["sandbox"] == "UNSAFE: no sandbox"
