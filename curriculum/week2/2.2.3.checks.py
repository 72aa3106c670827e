"""Checks of 2.2.3: one check per broadcasting variant.

Variant k binds a_k, b_k (torch.randn of the seed's shapes) and add_k, sub_k,
mul_k, div_k; the four results are compared with the operations applied to
the learner's own a_k and b_k (which are random), shape first.
"""

from curriculum.lib.week2 import broadcast_module

# variant -> (shape of a_k, shape of b_k), as in the seed
VARIANTS = {
    15: ((2, 1, 4), (1, 3, 1)),
    16: ((1, 5, 1), (3, 1, 2)),
    17: ((4, 1, 6), (1, 2, 1)),
    18: ((1, 1, 5), (3, 4, 1)),
    19: ((2, 3, 1, 1), (1, 1, 4, 5)),
    20: ((1, 6, 1, 8), (5, 1, 7, 1)),
}

globals().update(broadcast_module(VARIANTS))
