"""Checks of 2.1.5: each variant is judged against the learner's own base tensor(s).

The bases are random (torch.randn, as the seed asks), so the expected value of
`transpose_1 = x.transpose(0, 1)` is computed here from the learner's own `x`;
shape, dtype, value and the `.transpose` call are checked for every variant.
"""

from curriculum.lib.week2 import drill_module

BASES = {
    'x': (2, 3, 4),
    't3': (5, 6, 7),
    't2': (4, 5),
    't4': (2, 3, 4, 5),
}

# (name, base, expression, required call)
VARIANTS = [
    ('transpose_1', 'x', 'x.transpose(0, 1)', '.transpose'),
    ('transpose_2', 'x', 'x.transpose(1, 2)', '.transpose'),
    ('transpose_3', 'x', 'x.transpose(0, 2)', '.transpose'),
    ('transpose_4', 't3', 't3.transpose(0, 1)', '.transpose'),
    ('transpose_5', 't3', 't3.transpose(1, 2)', '.transpose'),
    ('transpose_6', 't3', 't3.transpose(0, 2)', '.transpose'),
    ('transpose_7', 't2', 't2.transpose(0, 1)', '.transpose'),
    ('transpose_8', 't4', 't4.transpose(0, 1)', '.transpose'),
    ('transpose_9', 't4', 't4.transpose(1, 2)', '.transpose'),
    ('transpose_10', 't4', 't4.transpose(2, 3)', '.transpose'),
    ('transpose_11', 't4', 't4.transpose(0, 3)', '.transpose'),
    ('transpose_12', 'x', 'x.transpose(-1, -2)', '.transpose'),
    ('transpose_13', 'x', 'x.transpose(0, -1)', '.transpose'),
    ('transpose_14', 'x', 'x.transpose(-2, -3)', '.transpose'),
    ('transpose_15', 'x', 'x.transpose(0, 1).transpose(1, 2)', '.transpose'),
]

globals().update(drill_module(VARIANTS, BASES))
