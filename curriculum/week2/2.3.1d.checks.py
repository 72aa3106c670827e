"""Checks of 2.3.1d: the seed's (10, 365) temperatures plus hidden years.

Hidden inputs change the number of cities (the seed's functions read a
closure variable `num_cities = 10`) and use 365- and 366-day years; one is
float64 (the result keeps the input's dtype).
"""


from curriculum.judges.data import randn


def _temps(rng, cities, days):
    return randn(rng, cities, days) * 5 + 20


def make_cases(rng):
    cases = [_temps(rng, 10, 365)]  # the seed's temperatures
    cases += [_temps(rng, int(rng.integers(1, 16)), int(rng.choice([365, 366]))) for _ in range(2)]
    cases += [_temps(rng, int(rng.integers(11, 30)), 366)]
    cases += [_temps(rng, int(rng.integers(1, 12)), int(rng.choice([365, 366]))).double()]  # dtype kept
    return [((t,), {}) for t in cases]


make_week_cases = make_month_cases = make_season_cases = make_cases
