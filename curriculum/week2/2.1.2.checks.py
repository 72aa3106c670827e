"""Checks of 2.1.2: each variant is judged against the learner's own base tensor(s).

The bases are random (torch.randn, as the seed asks), so the expected value of
`reshape_1 = x.reshape(6, 4)` is computed here from the learner's own `x`;
shape, dtype, value and the `.reshape` call are checked for every variant.
"""

from curriculum.lib.week2 import drill_module

BASES = {
    'x': (2, 3, 4),
}

# (name, base, expression, required call)
VARIANTS = [
    ('reshape_1', 'x', 'x.reshape(6, 4)', '.reshape'),
    ('reshape_2', 'x', 'x.reshape(2, 12)', '.reshape'),
    ('reshape_3', 'x', 'x.reshape(24)', '.reshape'),
    ('reshape_4', 'x', 'x.reshape(-1, 4)', '.reshape'),
    ('reshape_5', 'x', 'x.reshape(2, -1)', '.reshape'),
    ('reshape_6', 'x', 'x.reshape(3, 8)', '.reshape'),
    ('reshape_7', 'x', 'x.reshape(4, 6)', '.reshape'),
    ('reshape_8', 'x', 'x.reshape(1, 24)', '.reshape'),
    ('reshape_9', 'x', 'x.reshape(24, 1)', '.reshape'),
    ('reshape_10', 'x', 'x.reshape(12, 2)', '.reshape'),
    ('reshape_11', 'x', 'x.reshape(8, 3)', '.reshape'),
    ('reshape_12', 'x', 'x.reshape(1, 2, 12)', '.reshape'),
    ('reshape_13', 'x', 'x.reshape(2, 1, 12)', '.reshape'),
    ('reshape_14', 'x', 'x.reshape(6, 2, 2)', '.reshape'),
    ('reshape_15', 'x', 'x.reshape(4, 3, 2)', '.reshape'),
]

globals().update(drill_module(VARIANTS, BASES))
