"""A ColumnTransformer over mixed columns with missing values, tuned by a grid search (the
gallery's mixed-types example, on a generated passenger table instead of a download)."""

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

rng = np.random.RandomState(0)
n = 500
frame = pd.DataFrame({
    "age": rng.normal(35, 12, n).round(),
    "fare": rng.lognormal(3, 1, n).round(2),
    "embarked": rng.choice(["C", "Q", "S"], n),
    "sex": rng.choice(["female", "male"], n),
    "pclass": rng.choice([1, 2, 3], n).astype("int64"),
})
frame.loc[rng.rand(n) < 0.1, "age"] = np.nan
frame["embarked"] = frame["embarked"].astype("category")
survived = ((frame["sex"] == "female") ^ (rng.rand(n) < 0.2)).astype(int)
numeric = Pipeline([("imputer", SimpleImputer(strategy="median")),
                    ("scaler", StandardScaler())])
categorical = OneHotEncoder(handle_unknown="ignore")
preprocessor = ColumnTransformer([("num", numeric, ["age", "fare"]),
                                  ("cat", categorical, ["embarked", "sex", "pclass"])])
clf = Pipeline([("preprocessor", preprocessor), ("classifier", LogisticRegression())])
X_train, X_test, y_train, y_test = train_test_split(frame, survived, test_size=0.2,
                                                    random_state=0)
clf.fit(X_train, y_train)
print(f"model score: {clf.score(X_test, y_test):.3f}")
search = GridSearchCV(clf, {"preprocessor__num__imputer__strategy": ["mean", "median"],
                            "classifier__C": [0.1, 1.0, 10, 100]}, cv=3)
search.fit(X_train, y_train)
print("best params:", search.best_params_)
print(f"best test score: {search.score(X_test, y_test):.3f}")
