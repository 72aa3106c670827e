"""Reference solution of 1.2.7 (Indexing quiz (indexing_quiz.py) — 8 questions, one line each)."""

import torch

x = torch.randn(4, 5, 6)  # base tensor

q1 = x[2, 3, 4]  # the single element at page index 2, row index 3, column index 4
q2 = x[-1]  # the whole last page, using a negative index
q3 = x[:, :2]  # the first two rows of every page
q4 = x[:, :, ::2]  # every second column of every page
q5 = x[0, :, -1]  # the last column of the first page (all its rows)
q6 = x[1:3]  # the pages at index 1 and 2 as one slice (keep the page dimension)
q7 = x[-1, :2, :2]  # the 2×2 top-left corner of the last page
q8 = x[:, -2, ::3]  # the second-to-last row of every page, every third column
