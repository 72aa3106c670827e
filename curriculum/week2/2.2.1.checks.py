"""Checks of 2.2.1: one check per broadcasting variant.

Variant k binds a_k, b_k (torch.randn of the seed's shapes) and add_k, sub_k,
mul_k, div_k; the four results are compared with the operations applied to
the learner's own a_k and b_k (which are random), shape first.
"""

from curriculum.lib.week2 import broadcast_module

# variant -> (shape of a_k, shape of b_k), as in the seed
VARIANTS = {
    1: ((3,), (1,)),
    2: ((3, 4), (4,)),
    3: ((3, 4), (3, 1)),
    4: ((10,), (1,)),
    5: ((5, 6), (6,)),
    6: ((4, 5), (4, 1)),
    7: ((3, 4), (1, 4)),
    8: ((5, 5), (5,)),
}

globals().update(broadcast_module(VARIANTS))
