"""Verdict forgery without touching the grader: a learner's class *named* like the one
the prompt asks for is judged as the torch class it really is.

The training probes record which optimizer and loss a loop used; they used to send
``type(obj).__name__``, so ``class Adam(optim.SGD)`` passed as Adam and
``class MSELoss(nn.L1Loss)`` as MSELoss. A learner's own subclass of the right torch
class is still that class.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

SPOOF_ADAM = '''

class Adam(optim.SGD):            # an SGD called Adam, with Adam's settings on show
    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        for group in self.param_groups:
            group["betas"], group["eps"] = (0.9, 0.999), 1e-8
'''
SPOOF_MSE = '''

class MSELoss(nn.L1Loss):         # an L1 loss called MSELoss
    pass
'''
OWN_ADAM = '''

class LoggedAdam(optim.Adam):     # the learner's own Adam: still an Adam
    pass
'''


#: The same classes renamed into torch's own modules (an attack): a class that names
#: itself ``torch.optim.adam.Adam`` and is put there is still the learner's.
REGISTERED = '''
import sys as _s
{cls}.__module__ = "{module}"
_s.modules["{module}"].{cls} = {cls}
'''


def _train_loop_1(curriculum, prelude: str, old: str, new: str) -> str:
    source = curriculum.get("5.1.1").reference
    head, sep, tail = source.partition("\n\ndef train_loop_1")
    body, sep2, rest = tail.partition("\n\ndef train_loop_2")
    assert sep and sep2 and body.count(old) == 1
    return head + prelude + sep + body.replace(old, new) + sep2 + rest


def _check(result: dict, check_id: str) -> dict:
    return next(c for c in result["checks"] if c["id"] == check_id)


@pytest.mark.parametrize("registered", [False, True])
async def test_sgd_subclass_named_adam_fails(grader, curriculum, registered):
    prelude = SPOOF_ADAM + (REGISTERED.format(cls="Adam", module="torch.optim.adam")
                            if registered else "")
    source = _train_loop_1(curriculum, prelude, "optim.Adam(model.parameters(), lr=0.05)",
                           "Adam(model.parameters(), lr=0.05)")
    check = _check(await grader.grade("5.1.1", source, seed=11), "train_loop_1")
    assert check["status"] == "failed" and "found SGD" in check["message"], check


@pytest.mark.parametrize("registered", [False, True])
async def test_l1_subclass_named_mse_fails(grader, curriculum, registered):
    prelude = SPOOF_MSE + (REGISTERED.format(cls="MSELoss", module="torch.nn.modules.loss")
                           if registered else "")
    source = _train_loop_1(curriculum, prelude, "criterion = nn.MSELoss()",
                           "criterion = MSELoss()")
    check = _check(await grader.grade("5.1.1", source, seed=11), "train_loop_1")
    assert check["status"] == "failed" and "L1Loss" in check["message"], check


async def test_own_subclass_of_the_right_class_passes(grader, curriculum):
    source = _train_loop_1(curriculum, OWN_ADAM, "optim.Adam(model.parameters(), lr=0.05)",
                           "LoggedAdam(model.parameters(), lr=0.05)")
    assert _check(await grader.grade("5.1.1", source, seed=11), "train_loop_1")["status"] \
        == "passed"
