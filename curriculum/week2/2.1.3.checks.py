"""Checks of 2.1.3: each variant is judged against the learner's own base tensor(s).

The bases are random (torch.randn, as the seed asks), so the expected value of
`unsqueeze_1 = x.unsqueeze(0)` is computed here from the learner's own `x`;
shape, dtype, value and the `.unsqueeze` call are checked for every variant.
"""

from curriculum.lib.week2 import drill_module

BASES = {
    'x': (2, 3, 4),
    'm': (3, 4),
    'v': (5,),
}

# (name, base, expression, required call)
VARIANTS = [
    ('unsqueeze_1', 'x', 'x.unsqueeze(0)', '.unsqueeze'),
    ('unsqueeze_2', 'x', 'x.unsqueeze(1)', '.unsqueeze'),
    ('unsqueeze_3', 'x', 'x.unsqueeze(2)', '.unsqueeze'),
    ('unsqueeze_4', 'x', 'x.unsqueeze(3)', '.unsqueeze'),
    ('unsqueeze_5', 'x', 'x.unsqueeze(-1)', '.unsqueeze'),
    ('unsqueeze_6', 'x', 'x.unsqueeze(-2)', '.unsqueeze'),
    ('unsqueeze_7', 'x', 'x.unsqueeze(-3)', '.unsqueeze'),
    ('unsqueeze_8', 'x', 'x.unsqueeze(-4)', '.unsqueeze'),
    ('unsqueeze_9', 'm', 'm.unsqueeze(0)', '.unsqueeze'),
    ('unsqueeze_10', 'm', 'm.unsqueeze(1)', '.unsqueeze'),
    ('unsqueeze_11', 'm', 'm.unsqueeze(2)', '.unsqueeze'),
    ('unsqueeze_12', 'v', 'v.unsqueeze(0)', '.unsqueeze'),
    ('unsqueeze_13', 'v', 'v.unsqueeze(1)', '.unsqueeze'),
    ('unsqueeze_14', 'v', 'v.unsqueeze(-1)', '.unsqueeze'),
    ('unsqueeze_15', 'v', 'v.unsqueeze(-2)', '.unsqueeze'),
]

globals().update(drill_module(VARIANTS, BASES))
