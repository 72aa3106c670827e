"""Probe prelude: which torch class an object is (runs in the jail).

A judge that asks for ``optim.Adam`` or ``nn.MSELoss`` compares class names,
and a name is the learner's to choose: ``class Adam(optim.SGD)`` is an SGD
called Adam. So the name recorded is that of the first class in the object's
MRO that torch itself defines (the class its module exports under that name):
a learner's subclass of ``optim.Adam`` is still an Adam, and a learner's class
merely *called* Adam is whatever torch class it derives from. A class counts as
torch's only when the functions it defines come from torch's own files: renaming
a subclass into torch's module (``__module__``, ``sys.modules``) does not make
it one.
"""

import os as _os
import sys as _sys
import types as _types

_NAMES = {}  # type -> name: asked once per loss call in a training loop
_FUNCTION_TYPES = (_types.FunctionType,)
_TYPE_DICT = type.__dict__["__dict__"].__get__  # a class's own dict, past any metaclass


def torch_class_name(obj):
    kind = type(obj)
    name = _NAMES.get(kind)
    if name is None:
        name = _NAMES[kind] = _first_torch_class(kind)
    return name


def _torch_dir():
    """Where torch's Python files are: read from a code object of torch's own."""
    import torch

    path = torch.nn.Module.__init__.__code__.co_filename  # …/torch/nn/modules/module.py
    for _ in range(3):
        path = _os.path.dirname(path)
    return path


def _written_in_torch(cls, torch_dir):
    """The functions a class defines itself come from torch's files (a learner's
    ``class Adam(optim.SGD)`` renamed into ``torch.optim.adam`` defines them in the
    submission; one that defines none is not torch's either: the ``step`` wrapper an
    optimizer puts on its class, and the probes' own recorders, are left out)."""
    try:
        own = list(_TYPE_DICT(cls).values())
    except TypeError:
        return False
    files = []
    for value in own:
        value = getattr(value, "__func__", value) if type(value) in (staticmethod,
                                                                     classmethod) else value
        # not the profiling wrapper torch's Optimizer puts on every subclass's step
        if type(value) in _FUNCTION_TYPES and value.__dict__.get("hooked") is not True:
            code = _types.FunctionType.__dict__["__code__"].__get__(value)
            if code.co_filename != "<probe>":  # a recorder's wrapper (recorders.py)
                files.append(code.co_filename)
    return bool(files) and all(type(f) is str and f.startswith(torch_dir + _os.sep)
                               for f in files)


def _first_torch_class(kind):
    torch_dir = _torch_dir()
    for cls in type.__dict__["__mro__"].__get__(kind):
        module = getattr(cls, "__module__", None)
        if not isinstance(module, str) or not module.startswith("torch."):
            continue
        name = getattr(cls, "__name__", None)
        if isinstance(name, str) and getattr(_sys.modules.get(module), name, None) is cls \
                and _written_in_torch(cls, torch_dir):
            return name
    return kind.__name__
