"""Successive halving against an exhaustive grid search (the gallery's comparison)."""

import numpy as np
from sklearn.datasets import make_classification
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV
from sklearn.svm import SVC

rng = np.random.RandomState(0)
X, y = make_classification(n_samples=400, random_state=rng)
grid = {"gamma": [1e-3, 1e-2, 1e-1], "C": [1, 10, 100]}
halving = HalvingGridSearchCV(SVC(), grid, factor=2, random_state=rng).fit(X, y)
exhaustive = GridSearchCV(SVC(), grid).fit(X, y)
print("halving best:", halving.best_params_, f"{halving.best_score_:.3f}")
print("iterations:", halving.n_iterations_, "candidates:", halving.n_candidates_)
print("grid best:", exhaustive.best_params_, f"{exhaustive.best_score_:.3f}")
