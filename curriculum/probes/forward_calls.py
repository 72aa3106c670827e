"""Probe prelude: the dropout a forward pass actually applies (runs in the jail).

The modules a model holds say which dropout it *declares*; what a contract
states is the dropout its forward *applies*: ``nn.Dropout(0.3)`` declared
but ``F.dropout(x, 0.5)`` called, or one dropout where the architecture has
one per hidden layer, have the declared rates right and the model wrong.
A torch-function mode sees every dropout call — ``nn.Dropout`` modules,
``F.dropout`` and its 1d/2d/3d/alpha forms, ``torch.dropout`` — and records
``(p, numel)`` for each one that is active (training and ``p > 0``).
``numel`` places the call (after which layer) without depending on a view
or flatten written before or after it, which does not change what dropout
does.
"""

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

_DROPOUTS = {F.dropout: "training", F.dropout1d: "training", F.dropout2d: "training",
             F.dropout3d: "training", F.alpha_dropout: "training",
             F.feature_alpha_dropout: "training", torch.dropout: "train",
             torch.alpha_dropout: "train", torch.feature_dropout: "train",
             torch.feature_alpha_dropout: "train"}
_POSITIONAL_TRAINING = 2  # (input, p, training/train, …) in every signature above


class _DropoutRecorder(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        flag = _DROPOUTS.get(func)
        if flag is not None and args and isinstance(args[0], torch.Tensor):
            p = args[1] if len(args) > 1 else kwargs.get("p", 0.5)
            if len(args) > _POSITIONAL_TRAINING:
                training = args[_POSITIONAL_TRAINING]
            else:
                training = kwargs.get(flag, True)
            if bool(training) and float(p) > 0:
                self.calls.append([round(float(p), 6), int(args[0].numel())])
        return func(*args, **kwargs)


def _under(mode, run):
    with mode:
        return mode, run()


def dropout_calls(run):
    """``run()``'s active dropout calls as sorted ``[p, numel]`` pairs, and its result."""
    recorder, result = _under(_DropoutRecorder(), run)
    return sorted(recorder.calls), result
