"""Recommendations: implicit-feedback matrix, item-item cosine, EASE and PureSVD, time-split evaluation.

Pure library code on numpy / scipy.sparse / scikit-learn: no database, no
Flask, no Dramatiq. `services.recommendations` loads the shop's events, calls
these functions in the `recommendations_train` job and writes serving tables.
"""
