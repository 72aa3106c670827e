"""Checks of 2.1.7: each variant is judged against the learner's own base tensor(s).

The bases are random (torch.randn, as the seed asks), so the expected value of
`flatten_1 = x.flatten()` is computed here from the learner's own `x`;
shape, dtype, value and the `.flatten` call are checked for every variant.
"""

from curriculum.lib.week2 import drill_module

BASES = {
    'x': (2, 3, 4),
    't4': (2, 3, 4, 5),
    't5': (2, 3, 4, 5, 6),
    'imgs': (4, 3, 6, 8),
    'seq': (4, 10, 2, 8),
}

# (name, base, expression, required call)
VARIANTS = [
    ('flatten_1', 'x', 'x.flatten()', '.flatten'),
    ('flatten_2', 'x', 'x.flatten(1)', '.flatten'),
    ('flatten_3', 'x', 'x.flatten(0, 1)', '.flatten'),
    ('flatten_4', 't4', 't4.flatten()', '.flatten'),
    ('flatten_5', 't4', 't4.flatten(1)', '.flatten'),
    ('flatten_6', 't4', 't4.flatten(2)', '.flatten'),
    ('flatten_7', 't4', 't4.flatten(3)', '.flatten'),
    ('flatten_8', 't4', 't4.flatten(0, 1)', '.flatten'),
    ('flatten_9', 't4', 't4.flatten(0, 2)', '.flatten'),
    ('flatten_10', 't4', 't4.flatten(1, 2)', '.flatten'),
    ('flatten_11', 't4', 't4.flatten(2, 3)', '.flatten'),
    ('flatten_12', 't5', 't5.flatten(1, 3)', '.flatten'),
    ('flatten_13', 'imgs', 'imgs.flatten(1)', '.flatten'),
    ('flatten_14', 'imgs', 'imgs.flatten(2)', '.flatten'),
    ('flatten_15', 'seq', 'seq.flatten(2)', '.flatten'),
]

globals().update(drill_module(VARIANTS, BASES))
