"""Checks of 2.1.1: each variant is judged against the learner's own base tensor(s).

The bases are random (torch.randn, as the seed asks), so the expected value of
`view_1 = x.view(6, 4)` is computed here from the learner's own `x`;
shape, dtype, value and the `.view` call are checked for every variant.
"""

from curriculum.lib.week2 import drill_module

BASES = {
    'x': (2, 3, 4),
}

# (name, base, expression, required call)
VARIANTS = [
    ('view_1', 'x', 'x.view(6, 4)', '.view'),
    ('view_2', 'x', 'x.view(2, 12)', '.view'),
    ('view_3', 'x', 'x.view(24)', '.view'),
    ('view_4', 'x', 'x.view(-1, 4)', '.view'),
    ('view_5', 'x', 'x.view(2, -1)', '.view'),
    ('view_6', 'x', 'x.view(3, 8)', '.view'),
    ('view_7', 'x', 'x.view(4, 6)', '.view'),
    ('view_8', 'x', 'x.view(1, 24)', '.view'),
    ('view_9', 'x', 'x.view(24, 1)', '.view'),
    ('view_10', 'x', 'x.view(12, 2)', '.view'),
    ('view_11', 'x', 'x.view(8, 3)', '.view'),
    ('view_12', 'x', 'x.view(1, 2, 12)', '.view'),
    ('view_13', 'x', 'x.view(2, 1, 12)', '.view'),
    ('view_14', 'x', 'x.view(6, 2, 2)', '.view'),
    ('view_15', 'x', 'x.view(4, 3, 2)', '.view'),
]

globals().update(drill_module(VARIANTS, BASES))
