"""Checks of 2.1.6: each variant is judged against the learner's own base tensor(s).

The bases are random (torch.randn, as the seed asks), so the expected value of
`permute_1 = x.permute(2, 0, 1)` is computed here from the learner's own `x`;
shape, dtype, value and the `.permute` call are checked for every variant.
"""

from curriculum.lib.week2 import drill_module

BASES = {
    'x': (2, 3, 4),
    't3': (5, 6, 7),
    't4': (2, 3, 4, 5),
    'nhwc': (4, 6, 8, 3),
    'nchw': (4, 3, 6, 8),
    't5': (2, 3, 4, 5, 6),
}

# (name, base, expression, required call)
VARIANTS = [
    ('permute_1', 'x', 'x.permute(2, 0, 1)', '.permute'),
    ('permute_2', 'x', 'x.permute(1, 2, 0)', '.permute'),
    ('permute_3', 'x', 'x.permute(2, 1, 0)', '.permute'),
    ('permute_4', 't3', 't3.permute(2, 0, 1)', '.permute'),
    ('permute_5', 't3', 't3.permute(1, 2, 0)', '.permute'),
    ('permute_6', 't3', 't3.permute(2, 1, 0)', '.permute'),
    ('permute_7', 't3', 't3.permute(0, 2, 1)', '.permute'),
    ('permute_8', 't4', 't4.permute(3, 2, 1, 0)', '.permute'),
    ('permute_9', 't4', 't4.permute(1, 0, 2, 3)', '.permute'),
    ('permute_10', 't4', 't4.permute(0, 2, 1, 3)', '.permute'),
    ('permute_11', 't4', 't4.permute(3, 0, 1, 2)', '.permute'),
    ('permute_12', 'nhwc', 'nhwc.permute(0, 3, 1, 2)', '.permute'),
    ('permute_13', 'nchw', 'nchw.permute(0, 2, 3, 1)', '.permute'),
    ('permute_14', 't5', 't5.permute(0, 4, 2, 1, 3)', '.permute'),
    ('permute_15', 't4', 't4.permute(1, 3, 0, 2)', '.permute'),
]

globals().update(drill_module(VARIANTS, BASES))
