"""Reference solution of 1.3.4 (Problem 4: statistical analysis)."""

import torch


def calculate_statistics(data):
    return {
        "mean": torch.mean(data),
        "std": torch.std(data),
        "median": torch.median(data),
        "min": torch.min(data),
        "max": torch.max(data),
    }


def normalize_to_z_scores(data):
    return (data - torch.mean(data)) / torch.std(data)


def find_outliers(data, threshold=2.0):
    z = normalize_to_z_scores(data)
    return data[z.abs() > threshold]


def create_summary_report(data):
    stats = calculate_statistics(data)
    outliers = find_outliers(data)
    normalized = normalize_to_z_scores(data)
    return {"stats": stats, "outliers": outliers, "z_scores": normalized}


def format_report(report):
    """The printed form of a report (kept apart so the grader's reference run stays quiet)."""
    stats = report["stats"]
    return (f"mean {stats['mean']:.2f}  std {stats['std']:.2f}  median {stats['median']:.2f}  "
            f"range {stats['min']:.1f}–{stats['max']:.1f}  "
            f"outliers {report['outliers'].tolist()}")


def analyze_multiple_weeks(data):
    """data: (weeks, 7) temperatures."""
    mean = data.mean(dim=1)
    std = data.std(dim=1)
    return {
        "mean": mean,
        "std": std,
        "most_stable": int(torch.argmin(std)),
        "warmest": int(torch.argmax(mean)),
        "coldest": int(torch.argmin(mean)),
    }


if __name__ == "__main__":
    print(format_report(create_summary_report(
        torch.tensor([22.5, 25.1, 23.8, 28.2, 26.5, 24.1, 23.9]))))
    print(analyze_multiple_weeks(torch.randn(5, 7) * 3 + 25))
