"""Machine learning for Cartwheel: model artifacts, fraud scoring (and recommendations).

Pure library code: no Flask, no Dramatiq, no database transactions. The
services layer (services.platform.model_registry, services.fraud) owns persistence.
"""
