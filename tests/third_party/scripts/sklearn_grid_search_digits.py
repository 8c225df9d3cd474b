"""A multi-metric grid search on the digits that ship with scikit-learn, then a
classification report (as the gallery's 'custom refit strategy' example)."""

from sklearn.datasets import load_digits
from sklearn.metrics import classification_report
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.svm import SVC

digits = load_digits()
X = digits.images.reshape((len(digits.images), -1))[:600]
y = digits.target[:600]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
grid = [{"kernel": ["rbf"], "gamma": [1e-3, 1e-4], "C": [1, 10, 100]},
        {"kernel": ["linear"], "C": [1, 10]}]
search = GridSearchCV(SVC(), grid, scoring=["precision_macro", "recall_macro"],
                      refit="precision_macro", cv=3).fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"best precision: {search.best_score_:.3f}")
print(classification_report(y_test, search.predict(X_test), digits=3))
