"""Reference solution of 2.2.3 (Practice Set 3: Broadcasting with Singleton Dimensions — variants 15–20)."""

import torch

# Variant 15: (2, 1, 4) + (1, 3, 1) -> (2, 3, 4)
a_15 = torch.randn(2, 1, 4)
b_15 = torch.randn(1, 3, 1)
add_15 = a_15 + b_15
sub_15 = a_15 - b_15
mul_15 = a_15 * b_15
div_15 = a_15 / b_15

# Variant 16: (1, 5, 1) + (3, 1, 2) -> (3, 5, 2)
a_16 = torch.randn(1, 5, 1)
b_16 = torch.randn(3, 1, 2)
add_16 = a_16 + b_16
sub_16 = a_16 - b_16
mul_16 = a_16 * b_16
div_16 = a_16 / b_16

# Variant 17: (4, 1, 6) + (1, 2, 1) -> (4, 2, 6)
a_17 = torch.randn(4, 1, 6)
b_17 = torch.randn(1, 2, 1)
add_17 = a_17 + b_17
sub_17 = a_17 - b_17
mul_17 = a_17 * b_17
div_17 = a_17 / b_17

# Variant 18: (1, 1, 5) + (3, 4, 1) -> (3, 4, 5)
a_18 = torch.randn(1, 1, 5)
b_18 = torch.randn(3, 4, 1)
add_18 = a_18 + b_18
sub_18 = a_18 - b_18
mul_18 = a_18 * b_18
div_18 = a_18 / b_18

# Variant 19: (2, 3, 1, 1) + (1, 1, 4, 5) -> (2, 3, 4, 5)
a_19 = torch.randn(2, 3, 1, 1)
b_19 = torch.randn(1, 1, 4, 5)
add_19 = a_19 + b_19
sub_19 = a_19 - b_19
mul_19 = a_19 * b_19
div_19 = a_19 / b_19

# Variant 20: (1, 6, 1, 8) + (5, 1, 7, 1) -> (5, 6, 7, 8)
a_20 = torch.randn(1, 6, 1, 8)
b_20 = torch.randn(5, 1, 7, 1)
add_20 = a_20 + b_20
sub_20 = a_20 - b_20
mul_20 = a_20 * b_20
div_20 = a_20 / b_20
