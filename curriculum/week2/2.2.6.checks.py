"""Checks of 2.2.6: each answer is graded by what it evaluates to.

The reference computes every answer with PyTorch; the learner's value must
equal it. Messages say which kind of answer is expected, never the answer.
"""

import numpy as np

from curriculum.lib.week2 import names_probe, type_name
from grader.checks.base import Verdict

KINDS = {
    "q1": "shape", "q2": "bool", "q3": "shape", "q4": "shape", "q5": "bool", "q6": "shape",
    "q7": "bool", "q8": "shape", "q9": "int", "q10": "shape",
}
HOW = {
    "shape": "a tuple of ints, e.g. (2, 3) (a torch.Size is fine too)",
    "bool": "True or False (a Python bool)",
    "int": "a Python int",
}


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _judge(q):
    kind = KINDS[q]

    def judge(learner, reference, inputs, ctx):
        got, exp = learner.value[q], reference.value[q]
        if kind == "shape":
            ok_type = isinstance(got, (tuple, list)) and all(_is_int(v) for v in got)
        elif kind == "bool":
            ok_type = isinstance(got, (bool, np.bool_))
        else:
            ok_type = _is_int(got)
        if not ok_type:
            return Verdict(False, "type", f"`{q}` should be {HOW[kind]}; found {type_name(got)}")
        value = tuple(int(v) for v in got) if kind == "shape" else got
        if value != exp:
            return Verdict(False, "value", f"`{q}` is not the right answer — try it in a Python "
                                           f"shell and check the broadcasting rules")
        return Verdict(True, "value")

    return judge


for _q in KINDS:
    globals()[f"PROBE_{_q}"] = names_probe([_q])
    globals()[f"judge_{_q}"] = _judge(_q)
