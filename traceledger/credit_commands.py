"""Rating and commitment commands (issue 11): a consumer rates the sender and couriers of a parcel it signed for, a
sender rates the parcel's buyer key; a producer or shop commits itself. Each rating follows the receipt (the
parcel's signature: its custody head once signed for), or the first rating for its one follow-up; a commitment
follows the one it replaces. ``cli`` registers them under ``consumer`` and ``merchant``/``producer``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.errors import InvalidPayload
from ledger.events import parse_time
from ledger.events.builders import commitment_payload, rating_payload
from ledger.identifiers import actor_subject, validate_uscc
from traceledger.options import DatabaseOption, HomeOption, UrlOption
from traceledger.roles import KeyOption, ParcelOption, _Session, _session, _subject

RatingOption = Annotated[int, typer.Option("--rating", help="1 to 5")]
FollowUpOption = Annotated[
    str | None, typer.Option("--follow-up-of", help="Event id of your first rating of this party, for the follow-up")
]


def _rate(session: _Session, subject: str, parcel: str, rating: int, follow_up_of: str | None) -> None:
    """Log a rating of ``subject`` following the receipt of ``parcel``, or the first rating ``follow_up_of``."""
    if follow_up_of is not None:
        parent = session.chain.logged(follow_up_of, "rating", "--follow-up-of")
    else:
        head, _ = session.chain.custody(parcel)
        parent = session.chain.logged(head, "signature", f"the receipt of {parcel} (its custody head)")
    session.log(rating_payload(session.key, subject, parent, rating=rating))


def consumer_rate(
    key: KeyOption,
    parcel: ParcelOption,
    rating: RatingOption,
    courier: Annotated[str | None, typer.Option("--courier", help="USCC of a courier that carried it")] = None,
    sender: Annotated[str | None, typer.Option("--sender", help="USCC of the shop or producer that sent it")] = None,
    follow_up_of: FollowUpOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Rate the sender or a courier of a parcel you signed for, once each (and one follow-up)."""
    if (courier is None) == (sender is None):
        raise InvalidPayload("name exactly one of --courier and --sender")
    rated = actor_subject(validate_uscc(courier or sender or "")).path
    parcel = _subject(parcel, "--parcel", "parcel")
    with _session(key, home, database_url, url) as session:
        _rate(session, rated, parcel, rating, follow_up_of)


def rate_buyer(
    key: KeyOption,
    parcel: ParcelOption,
    rating: RatingOption,
    follow_up_of: FollowUpOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Rate the buyer (the consignee key) of a parcel you sent, after its receipt: once, and one follow-up."""
    parcel = _subject(parcel, "--parcel", "parcel")
    with _session(key, home, database_url, url) as session:
        _rate(session, parcel, parcel, rating, follow_up_of)


def commit(
    key: KeyOption,
    actor_id: Annotated[str, typer.Option("--id", help="Your USCC: an actor commits only itself")],
    valid_until: Annotated[str, typer.Option("--valid-until", help="RFC 3339 UTC end of the commitment")],
    returns_7d: Annotated[bool, typer.Option("--returns-7d", help="7-day no-reason returns (七天无理由退货)")] = False,
    compensation_first: Annotated[
        bool, typer.Option("--compensation-first", help="Compensation first (先行赔付)")
    ] = False,
    delivery_within_hours: Annotated[
        int | None, typer.Option("--delivery-within-hours", help="Every parcel delivered within so many hours")
    ] = None,
    return_within_hours: Annotated[
        int | None, typer.Option("--return-within-hours", help="A return taken back within so many hours (168)")
    ] = None,
    replaces: Annotated[
        str | None, typer.Option("--replaces", help="Event id of your current commitment, which this one replaces")
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Commit to your buyers until --valid-until: returns, compensation first, delivery times."""
    parse_time(valid_until, "--valid-until")
    actor_id = validate_uscc(actor_id)
    with _session(key, home, database_url, url) as session:
        current = None if replaces is None else session.chain.logged(replaces, "commitment", "--replaces")
        session.log(
            commitment_payload(
                session.key, actor_id, valid_until=valid_until, returns_7d=returns_7d,
                compensation_first=compensation_first, delivery_within_hours=delivery_within_hours,
                return_within_hours=return_within_hours, replaces=current,
            )
        )  # fmt: skip
