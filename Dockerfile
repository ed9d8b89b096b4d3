FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# The optimiser's network simplex kernel (plain C, loaded through ctypes): compiled here, next to
# its source, and the compiler removed again. Without it OR-Tools solves every part (slower).
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && CC=gcc QAITA_NATIVE_DIR=/app/matching/engine python -c "from matching.engine import netsimplex; assert netsimplex.build()" \
    && apt-get purge -y --auto-remove gcc libc6-dev && rm -rf /var/lib/apt/lists/*
# Collected exactly as production serves them: production settings, hashed names and the
# manifest (CompressedManifestStaticFilesStorage). The secret and database here exist only for
# this step; the unused ReDoc bundle is left out. tests/test_production_build.py runs this line.
RUN DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=build-only-collectstatic-not-a-runtime-secret \
    ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/build-only.sqlite3 \
    python manage.py collectstatic --noinput --ignore redoc
RUN useradd --create-home qaita && mkdir -p /app/media && chown -R qaita /app/media
USER qaita
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
