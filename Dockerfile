# Cartwheel API / worker / scheduler image (one image, three commands; see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY config.py gunicorn.conf.py ./
COPY models ./models
COPY services ./services
COPY workers ./workers
COPY web ./web
COPY ml ./ml
COPY data ./data
COPY templates ./templates

RUN useradd --system --uid 10001 --home-dir /app cartwheel \
    && mkdir -p /app/var/models /app/var/media \
    && chown -R cartwheel /app/var
USER cartwheel

EXPOSE 8000
# The API; docker-compose.yml overrides the command for the worker and the scheduler.
# One JSON line per request comes from the app's own http_request log (services.platform.logs).
CMD ["gunicorn", "-k", "gthread", "--workers", "2", "--threads", "8", "--bind", "0.0.0.0:8000", \
     "web:create_app()"]
