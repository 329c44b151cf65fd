"""The traceledger HTTP API (Litestar): capture, queries, proofs, checkpoints, tiles, OpenAPI, problem details.

``create_app(ApiSettings(open_ledger=...))`` builds the app; ``traceledger serve`` runs it under uvicorn.
"""

from api.app import app_ledger, create_app
from api.settings import ApiSettings, Lifespan

__all__ = ["ApiSettings", "Lifespan", "app_ledger", "create_app"]
