# The production image: web (gunicorn), worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The project runs from its source tree (templates/ and static/ sit beside the packages).
    PYTHONPATH=/app \
    MEDIA_ROOT=/data/media

# Pango, HarfBuzz and fonts for WeasyPrint (PDF invoices); gettext for compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-dejavu-core fonts-liberation gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . /app
RUN pip install . \
    && rm -rf build ./*.egg-info \
    && useradd --system --uid 1000 --create-home --home-dir /home/app app \
    && mkdir -p /app/var /data/media \
    && chown -R app:app /app/var /data/media

# Static files are collected into the image (served by WhiteNoise); translations compiled.
# Settings need these to import; nothing connects to the database here.
RUN DEBUG=0 SECRET_KEY=build-only-not-a-secret DATABASE_URL=postgres://build@localhost/build \
        python manage.py collectstatic --no-input --verbosity 0 \
    && if [ -n "$(find . -type d -name locale -print -quit)" ]; then \
        DEBUG=0 SECRET_KEY=build-only-not-a-secret DATABASE_URL=postgres://build@localhost/build \
        python manage.py compilemessages --verbosity 0; fi \
    && chown -R app:app /app/var

USER app
EXPOSE 8000
CMD ["gunicorn", "invoicing.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--forwarded-allow-ips", "*"]
