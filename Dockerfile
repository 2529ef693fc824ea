# The cxgraph command line in a container: the image of the `loader` service in docker-compose.yml.
# Building it needs the network only for PyPI (the project's dependencies, and the isolated mapping engine
# that `cxgraph setup` installs); running it needs only the SPARQL endpoint it is pointed at.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    XDG_CACHE_HOME=/opt/cxgraph-cache

RUN useradd --create-home --uid 1000 cxgraph
WORKDIR /app

# The engine first, so that editing the knowledge assets or the data does not reinstall it; then the
# mapping engine (morph-kgc, in its own virtual environment under $XDG_CACHE_HOME/cxgraph).
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && cxgraph setup

# The project: ontology, loaders, queries, sample data (.dockerignore leaves out .env, .venv, .git, stores).
COPY --chown=cxgraph:cxgraph . .
USER cxgraph
ENV CXGRAPH_PROJECT=/app

ENTRYPOINT ["cxgraph"]
CMD ["--help"]
