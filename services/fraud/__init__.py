"""Fraud scoring (DESIGN.md section 5).

One idea per module; this package re-exports their public names (`from services import
fraud`, then `fraud.<name>`). Importing it registers the handler that turns Stripe
disputes and refunds into training labels (`labels.handle_stripe_label_event`).

- signals: `ensure_signals` stores each order's normalised keys (FraudSignal).
- history: `order_facts` + `scoring_history` / `training_history` feed
  ml.fraud.features.compute_features, the one feature function of training and scoring.
- active_model: the registry kind (KIND) and the cached bundle of the active model.
- scoring: `run_fraud_score_batch` (the `fraud_score` child jobs of checkout, claimed in
  batches of those queued) scores with the active registry model (or rules only:
  `not_assessed`) in one model call per batch, stores a FraudAssessment per job and applies
  the decision of the ordered rules.
- decisions: review -> order on hold; block -> order cancelled, stock released, PaymentIntent
  voided or refunded (fixed Stripe idempotency keys). Re-running a job, or rescoring an order,
  never refunds twice.
- assessments: an order's latest assessment and its API dict.
- rules: admin CRUD and reordering; an empty rule table means DEFAULT_RULES.
- review: `approve` releases the hold (a non-fraud label), `reject` cancels and refunds
  (a fraud label).
- labels: chargebacks (`charge.dispute.created`), refunds (`charge.refunded`) and admin
  rejections are fraud; see `record_stripe_label`.
- training: `run_fraud_train_job` builds the labelled set, trains with ml.fraud.train,
  registers the model and activates it unless it is worse (average precision) than the
  active one on the same test slice.
- demo: `generate_demo_history` writes ml.fraud.synthetic's SYNTHETIC history.
"""

from services.fraud.active_model import KIND, active_bundle
from services.fraud.assessments import assessment_to_dict, latest_assessment
from services.fraud.decisions import apply_decision
from services.fraud.demo import generate_demo_history
from services.fraud.history import (features_for_scoring, features_for_scoring_many, features_for_training,
                                    order_facts, scoring_history, training_history)
from services.fraud.labels import handle_stripe_label_event, label_order, record_stripe_label
from services.fraud.reasons import REASONS
from services.fraud.review import approve, reject, review_queue
from services.fraud.rules import (DEFAULT_RULES, create_rule, delete_rule, effective_rules, get_rule, list_rules,
                                  parse_rule_text, reorder_rules, rule_to_dict, update_rule)
from services.fraud.scoring import (assess, assess_many, rule_attributes, run_fraud_score_batch, run_fraud_score_job,
                                    score_order, score_orders)
from services.fraud.signals import ensure_signals, set_card_fingerprint
from services.fraud.training import HGB_PARAMS, rules_only_scores, run_fraud_train_job, start_training, training_set

__all__ = [
    "DEFAULT_RULES", "HGB_PARAMS", "KIND", "REASONS", "active_bundle", "apply_decision", "approve", "assess",
    "assess_many", "assessment_to_dict", "create_rule", "delete_rule", "effective_rules", "ensure_signals",
    "features_for_scoring", "features_for_scoring_many", "features_for_training", "generate_demo_history", "get_rule",
    "handle_stripe_label_event", "label_order", "latest_assessment", "list_rules", "order_facts",
    "parse_rule_text", "record_stripe_label", "reject", "reorder_rules", "review_queue", "rule_attributes",
    "rule_to_dict", "rules_only_scores", "run_fraud_score_batch", "run_fraud_score_job", "run_fraud_train_job",
    "score_order", "score_orders",
    "scoring_history", "set_card_fingerprint", "start_training", "training_history", "training_set", "update_rule",
]
