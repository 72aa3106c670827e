"""The six-week curriculum as data: exercises, reference solutions, checks, schedule."""

from curriculum.loader import Curriculum, CurriculumError, load_curriculum, load_from
from curriculum.schema import Exercise, Kind

__all__ = ["Curriculum", "CurriculumError", "Exercise", "Kind", "load_curriculum", "load_from"]
