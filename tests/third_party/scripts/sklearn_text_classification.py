"""Sparse text features and linear classifiers (the gallery's document classification, on
generated documents instead of 20 newsgroups)."""

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
from sklearn.linear_model import RidgeClassifier, SGDClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import make_pipeline

rng = np.random.RandomState(0)
topics = {"space": "orbit rocket launch planet moon star", "sport": "goal match team score win",
          "food": "bread cheese wine recipe oven dinner"}
names = list(topics)
common = "the a of and to in is".split()


def documents(n):
    labels = rng.randint(len(names), size=n)
    docs = [" ".join(rng.choice(topics[names[k]].split() + common, 12)) for k in labels]
    return docs, np.array(names)[labels]


train_docs, train_y = documents(300)
test_docs, test_y = documents(100)
vectorizer = TfidfVectorizer(sublinear_tf=True, max_df=0.5)
X_train = vectorizer.fit_transform(train_docs)
X_test = vectorizer.transform(test_docs)
for clf in (RidgeClassifier(tol=1e-2, solver="sparse_cg"), ComplementNB(alpha=0.1),
            SGDClassifier(random_state=0)):
    predicted = clf.fit(X_train, train_y).predict(X_test)
    print(f"{type(clf).__name__:16s} accuracy {accuracy_score(test_y, predicted):.3f} "
          f"f1 {f1_score(test_y, predicted, average='macro'):.3f}")
hashed = make_pipeline(HashingVectorizer(n_features=2**10), SGDClassifier(random_state=0))
print(f"hashing pipeline {hashed.fit(train_docs, train_y).score(test_docs, test_y):.3f}")
