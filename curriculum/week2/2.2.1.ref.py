"""Reference solution of 2.2.1 (Practice Set 1: Simple Broadcasting — variants 1–8)."""

import torch

# Variant 1: Vector + Scalar: (3,) + (1,) -> (3,)
a_1 = torch.randn(3)
b_1 = torch.randn(1)
add_1 = a_1 + b_1
sub_1 = a_1 - b_1
mul_1 = a_1 * b_1
div_1 = a_1 / b_1

# Variant 2: Matrix + Vector: (3, 4) + (4,) -> (3, 4)
a_2 = torch.randn(3, 4)
b_2 = torch.randn(4)
add_2 = a_2 + b_2
sub_2 = a_2 - b_2
mul_2 = a_2 * b_2
div_2 = a_2 / b_2

# Variant 3: Matrix + Column Vector: (3, 4) + (3, 1) -> (3, 4)
a_3 = torch.randn(3, 4)
b_3 = torch.randn(3, 1)
add_3 = a_3 + b_3
sub_3 = a_3 - b_3
mul_3 = a_3 * b_3
div_3 = a_3 / b_3

# Variant 4: Larger Vector + Scalar: (10,) + (1,) -> (10,)
a_4 = torch.randn(10)
b_4 = torch.randn(1)
add_4 = a_4 + b_4
sub_4 = a_4 - b_4
mul_4 = a_4 * b_4
div_4 = a_4 / b_4

# Variant 5: Different Matrix + Vector: (5, 6) + (6,) -> (5, 6)
a_5 = torch.randn(5, 6)
b_5 = torch.randn(6)
add_5 = a_5 + b_5
sub_5 = a_5 - b_5
mul_5 = a_5 * b_5
div_5 = a_5 / b_5

# Variant 6: Matrix + another Column Vector: (4, 5) + (4, 1) -> (4, 5)
a_6 = torch.randn(4, 5)
b_6 = torch.randn(4, 1)
add_6 = a_6 + b_6
sub_6 = a_6 - b_6
mul_6 = a_6 * b_6
div_6 = a_6 / b_6

# Variant 7: Matrix + Row Vector: (3, 4) + (1, 4) -> (3, 4)
a_7 = torch.randn(3, 4)
b_7 = torch.randn(1, 4)
add_7 = a_7 + b_7
sub_7 = a_7 - b_7
mul_7 = a_7 * b_7
div_7 = a_7 / b_7

# Variant 8: Square Matrix + Vector: (5, 5) + (5,) -> (5, 5)
a_8 = torch.randn(5, 5)
b_8 = torch.randn(5)
add_8 = a_8 + b_8
sub_8 = a_8 - b_8
mul_8 = a_8 * b_8
div_8 = a_8 / b_8
