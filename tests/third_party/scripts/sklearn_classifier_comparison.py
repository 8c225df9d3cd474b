"""Several classifiers on three toy data sets, as scikit-learn's classifier comparison does
(make_moons, make_circles, a linearly separable set; each model in a scaling pipeline)."""

import numpy as np
from sklearn.datasets import make_circles, make_classification, make_moons
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

X, y = make_classification(n_features=2, n_redundant=0, n_informative=2, random_state=1,
                           n_clusters_per_class=1)
X += 2 * np.random.RandomState(2).uniform(size=X.shape)
datasets = {"moons": make_moons(noise=0.3, random_state=0),
            "circles": make_circles(noise=0.2, factor=0.5, random_state=1),
            "linear": (X, y)}
classifiers = {"nearest neighbors": KNeighborsClassifier(3),
               "linear SVM": SVC(kernel="linear", C=0.025, random_state=42),
               "RBF SVM": SVC(gamma=2, C=1, random_state=42),
               "decision tree": DecisionTreeClassifier(max_depth=5, random_state=42),
               "naive Bayes": GaussianNB()}
for data_name, (X, y) in datasets.items():
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=42)
    for name, clf in classifiers.items():
        model = make_pipeline(StandardScaler(), clf).fit(X_train, y_train)
        print(f"{data_name:8s} {name:18s} {model.score(X_test, y_test):.3f}")
