"""Role commands (DESIGN §1): each builds one event, signs it with the role's key and appends it to the ledger.

Every command prints ``<index> <event id> <kind> <subject>`` for the event it logged. Parents are found in the
derived views (``actors``, ``batches``, ``parcels``) or named by event id, and checked to exist before signing.
Malformed options raise a ``TraceledgerError``, which ``traceledger.cli.main`` prints as one line.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ledger.errors import (
    InvalidAttachment,
    InvalidIdentifier,
    InvalidPayload,
    LedgerError,
    LedgerStateError,
    NotFound,
    UnknownActor,
    UnknownBatch,
    UnknownParcel,
    WrongParents,
)
from ledger.events import AttachmentRef, EventPayload, parse_envelope, parse_time, seal_attachment, sign_event
from ledger.events.builders import (
    Content,
    Licence,
    complaint_payload,
    dispatch_payload,
    handoff_payload,
    inspection_payload,
    key_update_payload,
    listing_payload,
    production_payload,
    recall_payload,
    registration_payload,
    resolution_payload,
    review_payload,
    sanction_payload,
    signature_payload,
)
from ledger.identifiers import parse_subject, validate_uscc
from ledger.store.ledger import Ledger
from signer.keys import SigningKey, passphrase_from_env_or_prompt
from traceledger.options import DatabaseOption, HomeOption, read_public_key_file
from traceledger.settings import Home

registrar_app = typer.Typer(no_args_is_help=True, help="Register organisations and manage their keys.")
producer_app = typer.Typer(no_args_is_help=True, help="Register batches, inspect, dispatch and recall them.")
merchant_app = typer.Typer(no_args_is_help=True, help="List batches for sale and dispatch orders.")
courier_app = typer.Typer(no_args_is_help=True, help="Take custody of parcels.")
consumer_app = typer.Typer(no_args_is_help=True, help="Sign for parcels, review goods and complain.")
regulator_app = typer.Typer(no_args_is_help=True, help="Sanction actors, order recalls and resolve complaints.")
out = Console(highlight=False, soft_wrap=True)

TEXT_MEDIA_TYPE = "text/plain; charset=utf-8"
FALLBACK_MEDIA_TYPE = "application/octet-stream"
PRODUCT_SUBJECTS = ("batch", "item")
COMPLAINT_SUBJECTS = ("batch", "item", "parcel", "actor")

KeyOption = Annotated[Path, typer.Option("--key", help="The signer's encrypted private key (PEM from keygen)")]
BatchOption = Annotated[str, typer.Option("--batch", help="Batch subject path, 01/<GTIN>/10/<lot>")]
ParcelOption = Annotated[str, typer.Option("--parcel", help="Parcel subject path, 00/<SSCC> or parcel/<c>/<no>")]
TextOption = Annotated[str | None, typer.Option("--text", help="Free text, kept outside the log as an attachment")]


# ---- signing and appending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Session:
    """The signer's key and the open ledger that one command appends its event to."""

    key: SigningKey
    ledger: Ledger

    def log(self, payload: EventPayload) -> None:
        """Sign, check locally (clear schema errors), append and print the event's line."""
        envelope = sign_event(payload, [self.key]).to_json()
        parse_envelope(envelope)
        result = self.ledger.append([envelope])[0]
        out.print(f"{result.leaf_index} {result.event_id} {payload.kind} {payload.subject}", markup=False)
        for ref in payload.attachments:
            # Attachment upload does not exist yet: only the reference enters the event, and the sealed bytes
            # (salt || content) are not stored anywhere, so print the digest for the user's records.
            out.print(f"attachment {ref.digest} {ref.media_type} {ref.size} bytes (not stored)", markup=False)


@contextmanager
def _session(key_file: Path, home: Path | None, database_url: str | None) -> Iterator[_Session]:
    """Load the signer's key, then open the ledger for appending (closed on exit)."""
    key = SigningKey.load(key_file, passphrase_from_env_or_prompt("Key passphrase: "))
    ledger = Home.resolve(home, database_url).open(passphrase_from_env_or_prompt("Log key passphrase: "))
    try:
        yield _Session(key, ledger)
    finally:
        ledger.close()


# ---- reading the ledger ------------------------------------------------------------------------------------


def _view_field(ledger: Ledger, view: str, key: str, field: str, missing: LedgerError) -> str:
    """One field of a derived view row; ``missing`` is raised when the row does not exist."""
    row = ledger.view(view, key)
    if row is None:
        raise missing
    if not isinstance(row.get(field), str):
        raise LedgerStateError(f"the {view} view row for {key} has no {field!r}; run `traceledger reindex`")
    return str(row[field])


def _production(ledger: Ledger, batch: str) -> str:
    """The production event id of a batch, from the batches view."""
    missing = UnknownBatch(f"no batch {batch} in the ledger; a producer registers it with `producer batch`")
    return _view_field(ledger, "batches", batch, "production", missing)


def _custody(ledger: Ledger, parcel: str) -> tuple[str, str]:
    """The parcel's custody head event id and its current custodian, from the parcels view."""
    missing = UnknownParcel(f"no parcel {parcel} in the ledger; it has not been dispatched")
    head = _view_field(ledger, "parcels", parcel, "head", missing)
    return head, _view_field(ledger, "parcels", parcel, "custodian", missing)


def _key_event(ledger: Ledger, actor_id: str) -> str:
    """The actor's last key event id, from the actors view."""
    missing = UnknownActor(f"no registered actor {actor_id} in the ledger")
    return _view_field(ledger, "actors", actor_id, "key_event", missing)


def _registration(ledger: Ledger, actor_id: str) -> str:
    """The actor's current registration event id, from the actors view."""
    missing = UnknownActor(f"no registered actor {actor_id} in the ledger, so there is nothing to update")
    return _view_field(ledger, "actors", actor_id, "registration", missing)


def _logged(ledger: Ledger, event_id: str, kind: str, option: str) -> str:
    """``event_id`` after checking that the ledger holds it and that it is of ``kind``."""
    try:
        entry = ledger.entry_by_event_id(event_id)
    except NotFound:
        raise NotFound(f"{option} {event_id}: no such event in the ledger") from None
    if entry.kind != kind:
        raise WrongParents(f"{option} {event_id} is a {entry.kind} event, not a {kind}")
    return event_id


# ---- parsing options ---------------------------------------------------------------------------------------


def _subject(path: str, option: str, *kinds: str) -> str:
    """The canonical subject path of an option, which must name one of ``kinds``."""
    subject = parse_subject(path)
    if subject.kind not in kinds:
        raise InvalidIdentifier(f"{option} {path} is a {subject.kind} subject, expected a {' or '.join(kinds)}")
    return subject.path


def _licence(text: str) -> Licence:
    """A ``--licence TYPE:NUMBER:VALID_UNTIL`` option (the time keeps its own colons)."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(parts):
        example = "food_production:SC10653010200015:2030-12-31T00:00:00Z"
        raise InvalidPayload(f"--licence {text!r} must be TYPE:NUMBER:VALID_UNTIL, e.g. {example}")
    parse_time(parts[2], f"--licence {text!r}: VALID_UNTIL")
    return Licence(*parts)


def _content(text: str) -> Content:
    """A ``--content BATCH_PATH:QUANTITY`` option."""
    batch, _, quantity = text.rpartition(":")
    if not batch or not (quantity.isascii() and quantity.isdigit()):
        raise InvalidPayload(f"--content {text!r} must be BATCH_PATH:QUANTITY, e.g. 01/06901234567892/10/L1:20")
    return Content(_subject(batch, "--content", "batch"), int(quantity))


def _file_attachment(path: Path) -> AttachmentRef:
    """Seal a file as an attachment, its media type guessed from its name."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InvalidAttachment(f"cannot read {path}: {exc.strerror}") from None
    media_type = mimetypes.guess_type(path.name)[0] or FALLBACK_MEDIA_TYPE
    return seal_attachment(content, media_type.lower()).ref


def _text_attachment(text: str | None) -> AttachmentRef | None:
    """Seal free text as a UTF-8 text attachment, or None without text."""
    return None if text is None else seal_attachment(text.encode("utf-8"), TEXT_MEDIA_TYPE).ref


# ---- registrar ---------------------------------------------------------------------------------------------


@registrar_app.command("register")
def registrar_register(
    key: KeyOption,
    actor_id: Annotated[str, typer.Option("--id", help="The organisation's USCC")],
    name: Annotated[str, typer.Option("--name", help="Its registered name")],
    roles: Annotated[list[str], typer.Option("--role", help="A role (repeatable), e.g. producer")],
    actor_keys: Annotated[list[Path], typer.Option("--actor-key", help="Its public key file from keygen (repeatable)")],
    licences: Annotated[
        list[str] | None, typer.Option("--licence", help="TYPE:NUMBER:VALID_UNTIL (RFC 3339), repeatable")
    ] = None,
    gs1_prefixes: Annotated[
        list[str] | None, typer.Option("--gs1-prefix", help="GS1 company prefix, repeatable")
    ] = None,
    update: Annotated[bool, typer.Option("--update", help="Replace the actor's current registration")] = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Register an organisation (or with --update replace its registration): roles, licences, prefixes, keys."""
    actor_id = validate_uscc(actor_id)
    parsed = [_licence(text) for text in licences or ()]
    public_keys = [read_public_key_file(path) for path in actor_keys]
    with _session(key, home, database_url) as session:
        parents = [_registration(session.ledger, actor_id)] if update else []
        payload = registration_payload(
            session.key,
            actor_id,
            name,
            roles,
            public_keys,
            licences=parsed,
            gs1_prefixes=gs1_prefixes or (),
            parents=parents,
        )
        session.log(payload)


@registrar_app.command("keys")
def registrar_keys(
    key: KeyOption,
    actor_id: Annotated[str, typer.Option("--id", help="The organisation's USCC")],
    add: Annotated[list[Path] | None, typer.Option("--add", help="A public key file to add (repeatable)")] = None,
    revoke: Annotated[list[str] | None, typer.Option("--revoke", help="A key id to revoke (repeatable)")] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Add or revoke an organisation's keys, following its last key event."""
    actor_id = validate_uscc(actor_id)
    grants = [(read_public_key_file(path), None) for path in add or ()]
    with _session(key, home, database_url) as session:
        last = _key_event(session.ledger, actor_id)
        session.log(key_update_payload(session.key, actor_id, last, add=grants, revoke=revoke or ()))


# ---- producer and merchant ---------------------------------------------------------------------------------


@producer_app.command("batch")
def producer_batch(
    key: KeyOption,
    gtin: Annotated[str, typer.Option("--gtin", help="GTIN-14 of the product")],
    lot: Annotated[str, typer.Option("--lot", help="Batch/lot number")],
    product: Annotated[str, typer.Option("--product", help="Product name")],
    category: Annotated[str, typer.Option("--category", help="food, drug, medical_device, ...")],
    quantity: Annotated[int, typer.Option("--quantity", help="How many units were produced")],
    unit: Annotated[str, typer.Option("--unit", help="The unit counted, e.g. box")],
    place: Annotated[str, typer.Option("--place", help="Where it was produced")],
    expiry: Annotated[str | None, typer.Option("--expiry", help="Expiry date YYYY-MM-DD")] = None,
    inputs: Annotated[
        list[str] | None, typer.Option("--input", help="Production event id of an input batch (repeatable)")
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Register a new batch (lot) of a product."""
    with _session(key, home, database_url) as session:
        parents = [_logged(session.ledger, event_id, "production", "--input") for event_id in inputs or ()]
        session.log(
            production_payload(
                session.key,
                gtin,
                lot,
                product=product,
                category=category,
                quantity=quantity,
                unit=unit,
                place=place,
                expiry=expiry,
                inputs=parents,
            )
        )


@producer_app.command("inspect")
def producer_inspect(
    key: KeyOption,
    batch: BatchOption,
    result: Annotated[str, typer.Option("--result", help="pass or fail")],
    standard: Annotated[str, typer.Option("--standard", help="The standard inspected against, e.g. GB 2762")],
    report: Annotated[Path | None, typer.Option("--report", help="The inspection report file")] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Record an inspection result of a batch, with its report as an attachment."""
    batch = _subject(batch, "--batch", "batch")
    sealed = None if report is None else _file_attachment(report)
    with _session(key, home, database_url) as session:
        production = _production(session.ledger, batch)
        session.log(inspection_payload(session.key, batch, production, result=result, standard=standard, report=sealed))


@producer_app.command("recall")
@regulator_app.command("recall")
def recall(
    key: KeyOption,
    batch: BatchOption,
    reason: Annotated[str, typer.Option("--reason", help="safety, quality, labelling, counterfeit, ...")],
    level: Annotated[int, typer.Option("--level", help="Recall level 1 (most serious) to 3")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Recall a batch: it may no longer be listed or dispatched, except back to its producer."""
    batch = _subject(batch, "--batch", "batch")
    with _session(key, home, database_url) as session:
        production = _production(session.ledger, batch)
        session.log(recall_payload(session.key, batch, production, reason=reason, level=level))


@merchant_app.command("list")
def merchant_list(
    key: KeyOption,
    batch: BatchOption,
    price: Annotated[int, typer.Option("--price", help="Price in fen (CNY minor units)")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """List a batch for sale at a price."""
    batch = _subject(batch, "--batch", "batch")
    with _session(key, home, database_url) as session:
        production = _production(session.ledger, batch)
        session.log(listing_payload(session.key, batch, production, price=price))


@producer_app.command("dispatch")
@merchant_app.command("dispatch")
def dispatch(
    key: KeyOption,
    parcel: ParcelOption,
    contents: Annotated[list[str], typer.Option("--content", help="BATCH_PATH:QUANTITY (repeatable)")],
    location: Annotated[str, typer.Option("--location", help="Where the parcel leaves from")],
    to: Annotated[str | None, typer.Option("--to", help="USCC of the receiving organisation")] = None,
    consignee_key: Annotated[
        Path | None, typer.Option("--consignee-key", help="The consumer's public key file, instead of --to")
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Dispatch a parcel of goods drawn from batches to an organisation or a consumer's key."""
    if (to is None) == (consignee_key is None):
        raise InvalidPayload("give exactly one of --to and --consignee-key")
    parcel = _subject(parcel, "--parcel", "parcel")
    lines = [_content(text) for text in contents]
    consignee = None if consignee_key is None else read_public_key_file(consignee_key)
    destination = None if to is None else validate_uscc(to)
    with _session(key, home, database_url) as session:
        parents = list(dict.fromkeys(_production(session.ledger, line.batch) for line in lines))
        session.log(
            dispatch_payload(
                session.key, parcel, lines, parents, location=location, to=destination, consignee_key=consignee
            )
        )


# ---- courier and consumer ----------------------------------------------------------------------------------


@courier_app.command("handoff")
def courier_handoff(
    key: KeyOption,
    parcel: ParcelOption,
    location: Annotated[str, typer.Option("--location", help="Where the parcel changes hands")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Take custody of a parcel from its current custodian."""
    parcel = _subject(parcel, "--parcel", "parcel")
    with _session(key, home, database_url) as session:
        head, custodian = _custody(session.ledger, parcel)
        session.log(handoff_payload(session.key, parcel, head, from_actor=custodian, location=location))


@consumer_app.command("receipt")
def consumer_receipt(
    key: KeyOption,
    parcel: ParcelOption,
    condition: Annotated[str, typer.Option("--condition", help="intact, damaged or refused")] = "intact",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Sign for a parcel with the consignee key declared at dispatch."""
    parcel = _subject(parcel, "--parcel", "parcel")
    with _session(key, home, database_url) as session:
        head, _ = _custody(session.ledger, parcel)
        session.log(signature_payload(session.key, parcel, head, condition=condition))


@consumer_app.command("review")
def consumer_review(
    key: KeyOption,
    subject: Annotated[str, typer.Option("--subject", help="Batch or item subject path")],
    receipt: Annotated[str, typer.Option("--receipt", help="Event id of your signature for the parcel")],
    rating: Annotated[int, typer.Option("--rating", help="1 to 5")],
    follow_up_of: Annotated[
        str | None, typer.Option("--follow-up-of", help="Event id of your first review, for the follow-up")
    ] = None,
    text: TextOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Review goods you signed for; the follow-up review follows the first one."""
    subject = _subject(subject, "--subject", *PRODUCT_SUBJECTS)
    with _session(key, home, database_url) as session:
        parent = _logged(session.ledger, receipt, "signature", "--receipt")
        if follow_up_of is not None:
            parent = _logged(session.ledger, follow_up_of, "review", "--follow-up-of")
        payload = review_payload(session.key, subject, parent, rating=rating, text=_text_attachment(text))
        session.log(payload)


def _complain(
    key: Path,
    subject: str,
    category: str,
    channel: str,
    receipt: str | None,
    text: str | None,
    home: Path | None,
    database_url: str | None,
) -> None:
    """File a complaint, following the receipt when there is one."""
    subject = _subject(subject, "--subject", *COMPLAINT_SUBJECTS)
    with _session(key, home, database_url) as session:
        parents = [] if receipt is None else [_logged(session.ledger, receipt, "signature", "--receipt")]
        details = _text_attachment(text)
        payload = complaint_payload(
            session.key, subject, category=category, channel=channel, parents=parents, details=details
        )
        session.log(payload)


@consumer_app.command("complain")
def consumer_complain(
    key: KeyOption,
    subject: Annotated[str, typer.Option("--subject", help="Batch, item, parcel or actor subject path")],
    category: Annotated[str, typer.Option("--category", help="counterfeit, quality, mismatch, ...")],
    receipt: Annotated[str | None, typer.Option("--receipt", help="Event id of your signature, if any")] = None,
    text: TextOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """File a complaint as a consumer (a verified purchase when it follows your receipt)."""
    _complain(key, subject, category, "consumer", receipt, text, home, database_url)


# ---- regulator ---------------------------------------------------------------------------------------------


@regulator_app.command("complaint")
def regulator_complaint(
    key: KeyOption,
    subject: Annotated[str, typer.Option("--subject", help="Batch, item, parcel or actor subject path")],
    category: Annotated[str, typer.Option("--category", help="counterfeit, quality, mismatch, ...")],
    channel: Annotated[str, typer.Option("--channel", help="12315, platform or inspection")] = "12315",
    text: TextOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Import a complaint received through another channel, such as the 12315 hotline."""
    _complain(key, subject, category, channel, None, text, home, database_url)


@regulator_app.command("resolve")
def regulator_resolve(
    key: KeyOption,
    subject: Annotated[str, typer.Option("--subject", help="The complaint's subject path")],
    complaint: Annotated[str, typer.Option("--complaint", help="Event id of the complaint")],
    outcome: Annotated[str, typer.Option("--outcome", help="upheld, rejected, compensated or withdrawn")],
    compensation: Annotated[int, typer.Option("--compensation", help="Compensation in fen")] = 0,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Resolve a complaint."""
    subject = _subject(subject, "--subject", *COMPLAINT_SUBJECTS)
    with _session(key, home, database_url) as session:
        complaint = _logged(session.ledger, complaint, "complaint", "--complaint")
        session.log(resolution_payload(session.key, subject, complaint, outcome=outcome, compensation=compensation))


@regulator_app.command("sanction")
def regulator_sanction(
    key: KeyOption,
    actor_id: Annotated[str, typer.Option("--actor", help="USCC of the sanctioned organisation")],
    list_: Annotated[str, typer.Option("--list", help="black or red")],
    reason: Annotated[str, typer.Option("--reason", help="Why")],
    until: Annotated[str | None, typer.Option("--until", help="End of the sanction (RFC 3339 UTC)")] = None,
    lift: Annotated[str | None, typer.Option("--lift", help="Event id of the sanction this lifts")] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Put an organisation on the black or red list, or lift an earlier sanction."""
    actor_id = validate_uscc(actor_id)
    with _session(key, home, database_url) as session:
        lifts = None if lift is None else _logged(session.ledger, lift, "sanction", "--lift")
        session.log(sanction_payload(session.key, actor_id, list_=list_, reason=reason, until=until, lifts=lifts))
