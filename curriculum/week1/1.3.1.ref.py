"""Reference solution of 1.3.1 (Problem 1: linear system solver)."""

import torch


def solve_linear_system(A, b):
    """Solve A x = b; raise ValueError when A is singular.

    Singular means rank-deficient up to rounding: a singular matrix with decimal
    entries can keep a tiny non-zero determinant, and torch.linalg.solve then returns
    a meaningless answer instead of raising."""
    if torch.linalg.matrix_rank(A) < A.shape[0]:
        raise ValueError("A is singular: its rank is below its size")
    try:
        x = torch.linalg.solve(A, b)
    except torch.linalg.LinAlgError as exc:
        raise ValueError(f"A is singular: {exc}") from exc
    return x


def verify_solution(A, x, b, atol=1e-5):
    """True when A @ x reproduces b."""
    return torch.allclose(A @ x, b, atol=atol)


def solve_3x3_system():
    """3x + 2y - z = 1, x - y + 2z = 4, 2x + y + z = 3."""
    A = torch.tensor([[3.0, 2.0, -1.0], [1.0, -1.0, 2.0], [2.0, 1.0, 1.0]])
    b = torch.tensor([1.0, 4.0, 3.0])
    return solve_linear_system(A, b)


if __name__ == "__main__":
    A = torch.tensor([[2.0, 1.0], [1.0, 3.0]])
    b = torch.tensor([5.0, 7.0])
    x = solve_linear_system(A, b)
    print(x, verify_solution(A, x, b))
    print(solve_3x3_system())
