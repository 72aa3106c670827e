"""Checks of 2.1.4: each variant is judged against the learner's own base tensor(s).

The bases are random (torch.randn, as the seed asks), so the expected value of
`squeeze_1 = y.squeeze()` is computed here from the learner's own `y`;
shape, dtype, value and the `.squeeze` call are checked for every variant.
"""

from curriculum.lib.week2 import drill_module

BASES = {
    'y': (1, 2, 1, 4),
    'y5': (1, 3, 1, 1, 5),
    'y3': (1, 1, 4),
    'z': (2, 1, 3, 1),
    'w': (1, 5, 1),
}

# (name, base, expression, required call)
VARIANTS = [
    ('squeeze_1', 'y', 'y.squeeze()', '.squeeze'),
    ('squeeze_2', 'y', 'y.squeeze(0)', '.squeeze'),
    ('squeeze_3', 'y', 'y.squeeze(2)', '.squeeze'),
    ('squeeze_4', 'y5', 'y5.squeeze()', '.squeeze'),
    ('squeeze_5', 'y5', 'y5.squeeze(0)', '.squeeze'),
    ('squeeze_6', 'y5', 'y5.squeeze(2)', '.squeeze'),
    ('squeeze_7', 'y5', 'y5.squeeze(3)', '.squeeze'),
    ('squeeze_8', 'y3', 'y3.squeeze()', '.squeeze'),
    ('squeeze_9', 'y3', 'y3.squeeze(0)', '.squeeze'),
    ('squeeze_10', 'y3', 'y3.squeeze(1)', '.squeeze'),
    ('squeeze_11', 'z', 'z.squeeze()', '.squeeze'),
    ('squeeze_12', 'z', 'z.squeeze(1)', '.squeeze'),
    ('squeeze_13', 'z', 'z.squeeze(3)', '.squeeze'),
    ('squeeze_14', 'w', 'w.squeeze((0, 2))', '.squeeze'),
    ('squeeze_15', 'y5', 'y5.squeeze((0, 3))', '.squeeze'),
]

globals().update(drill_module(VARIANTS, BASES))
