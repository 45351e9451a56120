"""The optimizer lab: make the lecture notes' stories about each rule runnable and visible.

- `surfaces`: 2-D loss surfaces with known minima (bowl, saddle, Rosenbrock, Beale, Himmelblau).
"""
from .surfaces import (SURFACES, Beale, Himmelblau, QuadraticBowl, Rosenbrock, Saddle, Surface,
                       make_surface)
