"""The credit pages: ``/actor/<USCC>`` (an actor's credit file and level) and ``/disclosure`` (the public red and
black lists), in Chinese first and English with ``?lang=en``. Both are read from the derived credit views; a bad
or unknown USCC answers the portal's problem page (or problem+json to a JSON client)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from ledger.store.credit import credit_record, disclosure
from ledger.store.ledger import Ledger
from verify_portal.actor import actor_page, disclosure_lines
from verify_portal.i18n import Lang, Texts, negotiate_language
from verify_portal.render import page

NO_STORE = "no-store"  # a level or a listing changes with the log; no copy may answer for it


@get("/actor/{actor_id:str}", sync_to_thread=True, include_in_schema=False)
def actor(
    actor_id: FromPath[str], request: Request[Any, Any, Any], ledger: NamedDependency[Ledger], lang: Lang = None
) -> Response[str]:
    """An actor's credit record: identity, licences, credit level and why, red and black listings."""
    texts = Texts(negotiate_language(request.query_params, request))
    view = actor_page(ledger, credit_record(ledger, actor_id, datetime.now(UTC)), texts)
    return page("actor.html", request, texts, headers={"Cache-Control": NO_STORE}, view=view)


@get("/disclosure", sync_to_thread=True, include_in_schema=False)
def disclosure_page(
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    lang: Lang = None,
    list_: Annotated[Literal["black", "red"] | None, QueryParameter(name="list", description="black or red")] = None,
) -> Response[str]:
    """Every red- and black-list sanction, newest first, lifted and expired ones shown."""
    texts = Texts(negotiate_language(request.query_params, request))
    lines = disclosure_lines(ledger, disclosure(ledger, list_, datetime.now(UTC)), texts)
    return page("disclosure.html", request, texts, headers={"Cache-Control": NO_STORE}, lines=lines, chosen=list_)
