"""Reference solution of 1.3.2 (Problem 2: polynomial evaluator).

Coefficients are highest degree first: [3, 2, -1, 5] is 3x³ + 2x² − x + 5.
"""

import torch


def evaluate_polynomial(x, coefficients):
    """Method 1: powers and broadcasting."""
    n = coefficients.shape[0]
    powers = torch.arange(n - 1, -1, -1, dtype=x.dtype)
    return (coefficients * x.unsqueeze(-1) ** powers).sum(dim=-1)


def horner_evaluation(x, coefficients):
    """Method 2: Horner's method, ((a·x + b)·x + c)·x + d."""
    result = torch.zeros_like(x)
    for c in coefficients:
        result = result * x + c
    return result


def create_polynomial_coefficients():
    coefficients = torch.tensor([3.0, 2.0, -1.0, 5.0])
    points = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0])
    values = evaluate_polynomial(points, coefficients)
    assert torch.allclose(values, horner_evaluation(points, coefficients))
    return coefficients, points, values


def derivative_coefficients(coefficients):
    n = coefficients.shape[0]
    if n == 1:
        return torch.zeros(1, dtype=coefficients.dtype)
    powers = torch.arange(n - 1, 0, -1, dtype=coefficients.dtype)
    return coefficients[:-1] * powers


def evaluate_derivative(x, coefficients):
    return horner_evaluation(x, derivative_coefficients(coefficients))


def find_roots(coefficients, tol=1e-6):
    """Real roots, ascending: eigenvalues of the companion matrix with ~zero imaginary part."""
    c = coefficients.to(torch.float64)
    c = c / c[0]
    n = c.shape[0] - 1
    companion = torch.zeros(n, n, dtype=torch.float64)
    companion[0, :] = -c[1:]
    if n > 1:
        companion[1:, :-1] = torch.eye(n - 1, dtype=torch.float64)
    eig = torch.linalg.eigvals(companion)
    # a repeated root comes out as eigenvalues ~1e-8 apart: keep it once (distinct roots)
    eig = eig[[i for i in range(n) if not any((eig[i] - eig[j]).abs() < 1e-5
                                              for j in range(i))]]
    real = eig.real[eig.imag.abs() < tol]
    return torch.sort(real).values


if __name__ == "__main__":
    print(create_polynomial_coefficients())
    print(find_roots(torch.tensor([3.0, 2.0, -1.0, 5.0])))
