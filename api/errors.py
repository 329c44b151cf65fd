"""Problems the HTTP layer reports itself, beside the ledger's own (``ledger/errors.py``).

They join the same hierarchy under ``TraceledgerError``, so their problem documents and ``/problems/<slug>``
pages come from the same definitions as the ledger's::

    TraceledgerError (signer.errors)
    └── ApiError                     a request refused by the HTTP layer before the ledger saw it
        ├── MalformedJson            the body is not strict JSON (syntax, encoding or a duplicate key)
        ├── InvalidRequest           a path or query parameter is missing, malformed or out of range
        ├── MethodNotAllowed (405)   the resource exists but does not answer this HTTP method
        ├── RequestTimeout (408)     the request body did not arrive in time; the connection is closed
        ├── RequestTooLarge (413)    the request body is over the server's limit
        ├── RateLimited (429)        too many reads, or writes, from this client; retry after RateLimit-Reset seconds
        └── InternalError (500)      the server failed; the details are in its log, never in the answer

A request for a path the API does not serve is the ledger's ``NotFound`` (``/problems/not-found``).
"""

from __future__ import annotations

from signer.errors import TraceledgerError


class ApiError(TraceledgerError):
    slug = "api-error"
    title = "Request refused"


class MalformedJson(ApiError):
    slug = "malformed-json"
    title = "Request body is not valid JSON"


class InvalidRequest(ApiError):
    slug = "invalid-request"
    title = "Invalid request parameter"


class MethodNotAllowed(ApiError):
    slug = "method-not-allowed"
    title = "Method not allowed"
    status = 405


class RequestTimeout(ApiError):
    slug = "request-timeout"
    title = "Request body too slow"
    status = 408


class RequestTooLarge(ApiError):
    slug = "request-too-large"
    title = "Request body too large"
    status = 413


class RateLimited(ApiError):
    slug = "rate-limited"
    title = "Too many requests"
    status = 429


class InternalError(ApiError):
    slug = "internal-error"
    title = "Internal server error"
    status = 500
