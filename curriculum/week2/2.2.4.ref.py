"""Reference solution of 2.2.4 (Manual Broadcasting Understanding — variants 21–25)."""

import torch

# Variant 21: expand (2,1,4) and (1,3,1) to (2,3,4) by hand, then add
a_21 = torch.randn(2, 1, 4)
b_21 = torch.randn(1, 3, 1)
a_expanded_21 = a_21.expand(2, 3, 4)
b_expanded_21 = b_21.expand(2, 3, 4)
manual_21 = a_expanded_21 + b_expanded_21

# Variant 22: expand (1,5,1) and (3,1,2) to (3,5,2) by hand, then add
a_22 = torch.randn(1, 5, 1)
b_22 = torch.randn(3, 1, 2)
a_expanded_22 = a_22.expand(3, 5, 2)
b_expanded_22 = b_22.expand(3, 5, 2)
manual_22 = a_expanded_22 + b_expanded_22

# Variant 23: manual expansion vs automatic broadcasting
a_23 = torch.randn(4, 1, 6)
b_23 = torch.randn(1, 2, 1)
manual_23 = a_23.expand(4, 2, 6) + b_23.expand(4, 2, 6)
auto_23 = a_23 + b_23
match_23 = torch.allclose(manual_23, auto_23)

# Variant 24: .expand() with -1 (keep a dim) and a new leading dim; compatibility test
a_24 = torch.randn(3, 1)
expanded_24 = a_24.expand(2, -1, 4)


def can_expand(t, shape):
    """True if t.expand(*shape) works, False if PyTorch refuses it."""
    try:
        t.expand(*shape)
    except RuntimeError:
        return False
    return True


# Variant 25: .expand_as()
a_25 = torch.randn(3, 1)
target_25 = torch.randn(3, 4)
expanded_25 = a_25.expand_as(target_25)
