"""Top-N recommenders on an implicit user-item matrix X (users x items, scipy CSR).

Every model has `fit(X)` and `score(X_users) -> ndarray (n_users x n_items)`;
`top_k` turns scores into ranked item indices, skipping items the user has
already interacted with.

- `Popularity`: the column sums of X (the weighted, decayed interaction mass of
  each item); the same list for everybody. The baseline.
- `ItemKNN`: item-item cosine similarity, `sim(i, j) = x_i . x_j / (|x_i| |x_j|)`
  over item columns, pruned to each item's `n_neighbors` nearest, user score
  `s_uj = sum_i x_ui sim(i, j)`; Sarwar et al., "Item-based collaborative
  filtering recommendation algorithms" (WWW 2001), Deshpande & Karypis,
  "Item-based top-N recommendation algorithms" (TOIS 2004).
- `EASE`: the closed-form linear item-item model of Steck, "Embarrassingly
  Shallow Autoencoders for Sparse Data" (WWW 2019): `P = (X^T X + l2 I)^-1`,
  `B = -P / diag(P)` column-wise with `diag(B) = 0`, scores `X B`. Needs a dense
  items x items matrix, so it is for catalogs up to a few thousand items.
- `PureSVD`: a rank-k truncated SVD of X (scikit-learn `TruncatedSVD`),
  scores `X V^T V`; Cremonesi, Koren & Turrin, "Performance of recommender
  algorithms on top-N recommendation tasks" (RecSys 2010). The matrix
  factorisation, for catalogs too large for EASE.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

SCORE_BATCH_USERS = 2048


def _csr(X) -> sp.csr_matrix:
    return X.tocsr() if sp.issparse(X) else sp.csr_matrix(X)


def prune_rows(S: sp.spmatrix, k: int) -> sp.csr_matrix:
    """Keep the `k` largest strictly positive entries of each row of `S` (ties by lower column index)."""
    S = _csr(S)
    S.eliminate_zeros()
    indptr, indices, data = [0], [], []
    for row in range(S.shape[0]):
        start, end = S.indptr[row], S.indptr[row + 1]
        cols, vals = S.indices[start:end], S.data[start:end]
        positive = vals > 0
        cols, vals = cols[positive], vals[positive]
        if len(vals) > k:
            order = np.lexsort((cols, -vals))[:k]
            cols, vals = cols[order], vals[order]
        indices.extend(cols.tolist())
        data.extend(vals.tolist())
        indptr.append(len(indices))
    return sp.csr_matrix((np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int64),
                          np.asarray(indptr, dtype=np.int64)), shape=S.shape)


class Popularity:
    """Scores every item by its column sum of X (same ranking for every user)."""

    name = "popularity"

    def __init__(self):
        self.item_scores = None

    def fit(self, X) -> "Popularity":
        self.item_scores = np.asarray(_csr(X).sum(axis=0)).ravel().astype(np.float64)
        return self

    def score(self, X_users) -> np.ndarray:
        return np.tile(self.item_scores, (X_users.shape[0], 1))

    def params(self) -> dict:
        return {}


class ItemKNN:
    """Item-item cosine similarity kept to `n_neighbors` per item (see the module docstring)."""

    name = "itemknn"

    def __init__(self, n_neighbors: int = 50):
        self.n_neighbors = int(n_neighbors)
        self.similarity = None  # CSR items x items, row i = the neighbours of i

    def fit(self, X) -> "ItemKNN":
        Xn = normalize(_csr(X).astype(np.float64), norm="l2", axis=0)
        S = (Xn.T @ Xn).tocsr()
        S.setdiag(0.0)
        self.similarity = prune_rows(S, self.n_neighbors)
        return self

    def score(self, X_users) -> np.ndarray:
        return np.asarray((_csr(X_users) @ self.similarity).todense(), dtype=np.float64)

    def neighbours(self, item: int, k: int) -> list[tuple[int, float]]:
        """The `k` most similar items to column `item`: [(column, cosine)], best first."""
        row = self.similarity.getrow(item)
        order = np.lexsort((row.indices, -row.data))[:k]
        return [(int(row.indices[o]), float(row.data[o])) for o in order]

    def params(self) -> dict:
        return {"n_neighbors": self.n_neighbors}


class EASE:
    """Steck's EASE with L2 regularisation `l2` (see the module docstring)."""

    name = "ease"

    def __init__(self, l2: float = 200.0):
        self.l2 = float(l2)
        self.B = None  # dense items x items, float32

    def fit(self, X) -> "EASE":
        X = _csr(X).astype(np.float64)
        G = np.asarray((X.T @ X).todense())
        G[np.diag_indices_from(G)] += self.l2
        P = np.linalg.inv(G)
        B = P / (-np.diag(P))
        B[np.diag_indices_from(B)] = 0.0
        self.B = B.astype(np.float32)
        return self

    def score(self, X_users) -> np.ndarray:
        return np.asarray(_csr(X_users) @ self.B, dtype=np.float64)

    def params(self) -> dict:
        return {"l2": self.l2}


class PureSVD:
    """Rank-`n_components` truncated SVD (scikit-learn, randomized solver, fixed seed)."""

    name = "svd"

    def __init__(self, n_components: int = 32, random_state: int = 0):
        self.n_components = int(n_components)
        self.random_state = random_state
        self.components = None  # k x items

    def fit(self, X) -> "PureSVD":
        X = _csr(X).astype(np.float64)
        k = max(1, min(self.n_components, min(X.shape) - 1))
        svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=7, random_state=self.random_state)
        svd.fit(X)
        self.components = svd.components_.astype(np.float32)
        return self

    def score(self, X_users) -> np.ndarray:
        return np.asarray((_csr(X_users) @ self.components.T) @ self.components, dtype=np.float64)

    def params(self) -> dict:
        return {"n_components": self.n_components}


def make_model(name: str, **params):
    """A model by name: popularity | itemknn | ease | svd. Raises KeyError."""
    return {"popularity": Popularity, "itemknn": ItemKNN, "ease": EASE, "svd": PureSVD}[name](**params)


def top_k(model, X_users, k: int, exclude_seen: bool = True, batch: int = SCORE_BATCH_USERS):
    """Rank items for each row of `X_users` (CSR users x items).

    Returns `(indices, scores)`, both (n_users x k'), k' = min(k, n_items), best
    first; items the user has interacted with (non-zero in X_users) are skipped
    when `exclude_seen`, and a slot with nothing left to recommend has index -1.
    Ties break on the lower item index. Users are scored in batches of `batch`.
    """
    X_users = _csr(X_users)
    n_users, n_items = X_users.shape
    k = min(k, n_items)
    out_idx = np.full((n_users, k), -1, dtype=np.int64)
    out_val = np.zeros((n_users, k), dtype=np.float64)
    for start in range(0, n_users, batch):
        chunk = X_users[start:start + batch]
        scores = model.score(chunk).astype(np.float64, copy=True)
        if exclude_seen:
            rows, cols = chunk.nonzero()
            scores[rows, cols] = -np.inf
        # sort by (-score, index): argsort of -scores with a stable sort keeps lower index first on ties
        if k < n_items:
            part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            # argpartition may split ties arbitrarily at the boundary; fine for ranking quality,
            # and the final order below is deterministic
            part_scores = np.take_along_axis(scores, part, axis=1)
            order = np.lexsort((part, -part_scores), axis=1)
            idx = np.take_along_axis(part, order, axis=1)
        else:
            idx = np.argsort(-scores, axis=1, kind="stable")
        vals = np.take_along_axis(scores, idx, axis=1)
        idx = np.where(np.isfinite(vals), idx, -1)
        vals = np.where(np.isfinite(vals), vals, 0.0)
        out_idx[start:start + len(idx)] = idx
        out_val[start:start + len(idx)] = vals
    return out_idx, out_val
