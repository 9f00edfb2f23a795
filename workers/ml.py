"""Queue `ml` (long time limits): training the fraud and recommendation models."""

from services import fraud, recommendations
from workers.actor import job_actor

train_fraud_model = job_actor("fraud_train", "train_fraud_model", fraud.run_fraud_train_job)
train_recommendations = job_actor("recommendations_train", "train_recommendations",
                                  recommendations.run_training_job)
