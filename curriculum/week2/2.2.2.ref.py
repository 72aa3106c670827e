"""Reference solution of 2.2.2 (Practice Set 2: 3D Broadcasting — variants 9–14)."""

import torch

# Variant 9: 3D + 2D: (2, 3, 4) + (3, 4) -> (2, 3, 4)
a_9 = torch.randn(2, 3, 4)
b_9 = torch.randn(3, 4)
add_9 = a_9 + b_9
sub_9 = a_9 - b_9
mul_9 = a_9 * b_9
div_9 = a_9 / b_9

# Variant 10: 3D + 1D: (2, 3, 4) + (4,) -> (2, 3, 4)
a_10 = torch.randn(2, 3, 4)
b_10 = torch.randn(4)
add_10 = a_10 + b_10
sub_10 = a_10 - b_10
mul_10 = a_10 * b_10
div_10 = a_10 / b_10

# Variant 11: 3D + another Vector: (5, 6, 7) + (7,) -> (5, 6, 7)
a_11 = torch.randn(5, 6, 7)
b_11 = torch.randn(7)
add_11 = a_11 + b_11
sub_11 = a_11 - b_11
mul_11 = a_11 * b_11
div_11 = a_11 / b_11

# Variant 12: 3D + another 2D: (4, 5, 6) + (5, 6) -> (4, 5, 6)
a_12 = torch.randn(4, 5, 6)
b_12 = torch.randn(5, 6)
add_12 = a_12 + b_12
sub_12 = a_12 - b_12
mul_12 = a_12 * b_12
div_12 = a_12 / b_12

# Variant 13: 3D + Column Vector: (2, 3, 4) + (3, 1) -> (2, 3, 4)
a_13 = torch.randn(2, 3, 4)
b_13 = torch.randn(3, 1)
add_13 = a_13 + b_13
sub_13 = a_13 - b_13
mul_13 = a_13 * b_13
div_13 = a_13 / b_13

# Variant 14: 3D + Singleton 2D: (3, 4, 5) + (1, 5) -> (3, 4, 5)
a_14 = torch.randn(3, 4, 5)
b_14 = torch.randn(1, 5)
add_14 = a_14 + b_14
sub_14 = a_14 - b_14
mul_14 = a_14 * b_14
div_14 = a_14 / b_14
