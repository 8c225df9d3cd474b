"""Stacking and voting regressors (the gallery's 'combine predictors using stacking', on the
diabetes data that ships with scikit-learn)."""

from sklearn.datasets import load_diabetes
from sklearn.ensemble import (
                              HistGradientBoostingRegressor,
                              RandomForestRegressor,
                              StackingRegressor,
                              VotingRegressor,
)
from sklearn.linear_model import LassoCV, RidgeCV
from sklearn.model_selection import train_test_split

X, y = load_diabetes(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
estimators = [("forest", RandomForestRegressor(n_estimators=20, random_state=0)),
              ("lasso", LassoCV(random_state=0)),
              ("gbm", HistGradientBoostingRegressor(max_iter=50, random_state=0))]
stacking = StackingRegressor(estimators, final_estimator=RidgeCV()).fit(X_train, y_train)
voting = VotingRegressor(estimators).fit(X_train, y_train)
print(f"stacking r2 {stacking.score(X_test, y_test):.3f}")
print(f"voting r2 {voting.score(X_test, y_test):.3f}")
