"""Fraud scoring: features (shared by training and scoring), rules, training, scoring, synthetic data."""
