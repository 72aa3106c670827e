"""Checks of 2.2.2: one check per broadcasting variant.

Variant k binds a_k, b_k (torch.randn of the seed's shapes) and add_k, sub_k,
mul_k, div_k; the four results are compared with the operations applied to
the learner's own a_k and b_k (which are random), shape first.
"""

from curriculum.lib.week2 import broadcast_module

# variant -> (shape of a_k, shape of b_k), as in the seed
VARIANTS = {
    9: ((2, 3, 4), (3, 4)),
    10: ((2, 3, 4), (4,)),
    11: ((5, 6, 7), (7,)),
    12: ((4, 5, 6), (5, 6)),
    13: ((2, 3, 4), (3, 1)),
    14: ((3, 4, 5), (1, 5)),
}

globals().update(broadcast_module(VARIANTS))
