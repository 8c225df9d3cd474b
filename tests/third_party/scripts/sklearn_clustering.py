"""K-means on the digits, scored against the labels (the gallery's k-means digits demo)."""

from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data, labels = load_digits(return_X_y=True)
for name, init in (("k-means++", "k-means++"), ("random", "random"),
                   ("PCA-based", PCA(n_components=10).fit(data).components_)):
    kmeans = KMeans(init=init, n_clusters=10, n_init=4 if name != "PCA-based" else 1,
                    random_state=0)
    estimator = make_pipeline(StandardScaler(), kmeans).fit(data)
    found = estimator[-1].labels_
    print(f"{name:10s} homogeneity {metrics.homogeneity_score(labels, found):.3f} "
          f"ARI {metrics.adjusted_rand_score(labels, found):.3f}")
