"""Reference solution of 1.2.5 (Practice Set 5: Step slicing — 15 variants)."""

import torch

x = torch.randn(4, 5, 6)  # base tensor

step_1 = x[::2]  # every second page [::2]
step_2 = x[::1]  # every page (step 1) [::1]
step_3 = x[:, ::2]  # every second row [:, ::2]
step_4 = x[:, ::1]  # every row (step 1) [:, ::1]
step_5 = x[:, :, ::2]  # every second column [:, :, ::2]
step_6 = x[:, :, ::1]  # every column (step 1) [:, :, ::1]
step_7 = x[1::2]  # every second page starting from index 1 [1::2]
step_8 = x[:, 1::2]  # every second row starting from index 1 [:, 1::2]
step_9 = x[:, :, 1::2]  # every second column starting from index 1 [:, :, 1::2]
step_10 = x[::3]  # every third page [::3]
step_11 = x[:, ::3]  # every third row [:, ::3]
step_12 = x[:, :, ::3]  # every third column [:, :, ::3]
step_13 = x[0:4:2]  # pages 0, 2 with explicit range [0:4:2]
step_14 = x[:, 0:5:2]  # rows 0, 2, 4 [:, 0:5:2]
step_15 = x[:, :, 0:6:2]  # columns 0, 2, 4 [:, :, 0:6:2]
