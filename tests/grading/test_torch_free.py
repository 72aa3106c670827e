"""Modules imported before torch must not import it.

``grader.limits`` is read by the bot (which has no torch); ``grader.oneshot``
and ``grader.cli`` start the CLI's jail before this process pays for torch.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["grader.limits", "grader.oneshot", "grader.cli",
                                    "grader.result"])
def test_imports_without_torch(module):
    code = f"import sys, {module}; sys.exit('torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()[-500:]
