# The portal's image: web (gunicorn), Celery worker and beat all run from it (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .

# Static files are collected at build time; WhiteNoise serves them. The build needs no secrets, so
# it uses the embedded settings with a throw-away key (REDIS_URL set only to skip broker folders).
RUN DJANGO_SETTINGS_MODULE=config.settings.local \
    DJANGO_SECRET_KEY=collectstatic-only \
    REDIS_URL=redis://unused:6379/0 \
    python manage.py collectstatic --noinput -v0

# Never run as root; uploaded KPI returns go to /app/media (a volume).
RUN useradd --system --uid 1000 --home-dir /app portal \
    && mkdir -p /app/media \
    && chown -R portal:portal /app/media
USER portal

EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
