"""Cross-validation, learning curves and permutation importance on the diabetes data that
ships with scikit-learn, then one final fit (the gallery's model-evaluation examples)."""

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.inspection import permutation_importance
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import cross_val_predict, cross_validate, learning_curve

X, y = load_diabetes(return_X_y=True)
ridge = RidgeCV(alphas=np.logspace(-3, 3, 7))
scores = cross_validate(ridge, X, y, cv=5, scoring=["r2", "neg_mean_absolute_error"])
mae = -scores["test_neg_mean_absolute_error"].mean()
print(f"cv r2 {scores['test_r2'].mean():.3f} mae {mae:.1f}")
predicted = cross_val_predict(ridge, X, y, cv=5)
print(f"cross_val_predict mean {predicted.mean():.2f}")
sizes, train_scores, test_scores = learning_curve(ridge, X, y, cv=5,
                                                  train_sizes=[0.3, 0.6, 1.0])
print("learning curve", [f"{s:.3f}" for s in test_scores.mean(axis=1)])
forest = RandomForestRegressor(n_estimators=30, random_state=0).fit(X, y)
result = permutation_importance(forest, X, y, n_repeats=3, random_state=0)
print("most important feature:", int(result.importances_mean.argmax()))
