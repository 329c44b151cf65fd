"""Role commands (DESIGN §1): each builds one event, signs it with the role's key and appends it to the ledger.

Every command prints ``<index> <event id> <kind> <subject>`` for the event it logged, then stores the content of
the attachments (inspection reports, review and complaint text) that the event commits to, a line for each. One
command logs nothing: ``producer labels`` reads a batch and writes a PDF of its items' QR labels. ``erase-attachment``
logs an ``attachment.erasure`` following the event that committed to the attachment; logging it removes the content.
Parents are found in the derived views (``actors``, ``batches``, ``parcels``) or named by event id, and checked to
exist before signing. Malformed options raise a ``TraceledgerError``, which ``traceledger.cli.main`` prints as one
line.

With ``--url`` a command talks to a running server instead (``traceledger.client``): it reads the parents from the
API (``/v1/actors``, ``/v1/events``, and a batch's or parcel's history at ``/v1/subjects``) and posts the signed
envelope to ``/v1/events`` and attachment content to ``/v1/attachments``; the server's problem answers become the
same one-line errors. Only the signer's key is needed then, never the log key.
"""

from __future__ import annotations

import mimetypes
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol

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
from ledger.events import (
    AttachmentRef,
    EventPayload,
    SealedAttachment,
    parse_envelope,
    parse_time,
    seal_attachment,
    sign_event,
)
from ledger.events.builders import (
    Content,
    Licence,
    aggregation_payload,
    complaint_payload,
    disaggregation_payload,
    dispatch_payload,
    erasure_payload,
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
from ledger.events.schemas import ERASURE_REASONS, HOTLINES, RESOLUTION_REASONS
from ledger.identifiers import batch_subject, expiry_date, parse_subject, validate_uscc
from ledger.rules.serials import serial_width
from ledger.rules.views import BATCHES
from ledger.store.attachments import committed_attachment, store_attachment
from ledger.store.ledger import Ledger
from signer.keys import SigningKey, passphrase_from_env_or_prompt
from traceledger.complaint_import import read_complaints
from traceledger.options import (
    DatabaseOption,
    HomeOption,
    UrlOption,
    check_target,
    read_consignee_key,
    read_public_key_file,
)
from traceledger.progress import progress_bar
from traceledger.settings import Home

if TYPE_CHECKING:
    from traceledger.client import LedgerClient

registrar_app = typer.Typer(
    no_args_is_help=True, help="Register organisations, manage their keys and erase attachments."
)
producer_app = typer.Typer(
    no_args_is_help=True, help="Register batches, print their QR labels, inspect, dispatch and recall them."
)
merchant_app = typer.Typer(no_args_is_help=True, help="List batches for sale and dispatch orders.")
courier_app = typer.Typer(no_args_is_help=True, help="Take custody of parcels.")
consumer_app = typer.Typer(
    no_args_is_help=True, help="Sign for parcels, review goods, complain and erase your own texts."
)
regulator_app = typer.Typer(
    no_args_is_help=True, help="Sanction actors, order recalls, resolve complaints and erase attachments."
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

TEXT_MEDIA_TYPE = "text/plain; charset=utf-8"
FALLBACK_MEDIA_TYPE = "application/octet-stream"
PRODUCT_SUBJECTS = ("batch", "item")
COMPLAINT_SUBJECTS = ("batch", "item", "parcel", "actor")

KeyOption = Annotated[Path, typer.Option("--key", help="The signer's encrypted private key (PEM from keygen)")]
BatchOption = Annotated[str, typer.Option("--batch", help="Batch subject path, 01/<GTIN>/10/<lot>")]
ParcelOption = Annotated[str, typer.Option("--parcel", help="Parcel subject path, 00/<SSCC> or parcel/<c>/<no>")]
FindingOption = Annotated[
    str | None, typer.Option("--finding", help="Event id of the risk finding (`traceledger risks`) this acts on")
]
TextOption = Annotated[str | None, typer.Option("--text", help="Free text, kept outside the log as an attachment")]


# ---- signing and appending ---------------------------------------------------------------------------------


class _Chain(Protocol):
    """Where a command finds the parents of its event and appends it: the local ledger, or a server (``--url``)."""

    def production(self, batch: str) -> str:
        """The production event id of a batch."""
        ...

    def custody(self, parcel: str) -> tuple[str, str]:
        """The parcel's custody head event id and its current custodian."""
        ...

    def key_event(self, actor_id: str) -> str:
        """The actor's last key event id."""
        ...

    def registration(self, actor_id: str) -> str:
        """The actor's current registration event id."""
        ...

    def logged(self, event_id: str, kind: str, option: str) -> str:
        """``event_id`` after checking that the ledger holds it and that it is of ``kind``."""
        ...

    def append(self, envelope: dict[str, Any], event_id: str) -> int:
        """Append a signed envelope whose event id is ``event_id``; its leaf index."""
        ...

    def append_batch(self, envelopes: Sequence[dict[str, Any]]) -> list[int]:
        """Append signed envelopes as one atomic batch; their leaf indices."""
        ...

    def store_attachment(self, sealed: SealedAttachment) -> bool:
        """Store the content of an attachment a logged event committed to; False if it already was."""
        ...

    def commitment(self, digest: str) -> tuple[str, str]:
        """The event id and subject of the logged event that committed to attachment ``digest``."""
        ...


@dataclass(frozen=True)
class _Session:
    """The signer's key and the ledger (local or remote) that one command appends its event to."""

    key: SigningKey
    chain: _Chain

    def log(self, payload: EventPayload, attachments: Sequence[SealedAttachment | None] = ()) -> None:
        """Sign, check locally (clear schema errors), append and print the event's line; then store the content
        of the attachments it commits to (only a logged commitment lets content in) and print a line for each."""
        sealed = [attachment for attachment in attachments if attachment is not None]
        assert payload.attachments == tuple(attachment.ref for attachment in sealed)
        envelope = sign_event(payload, [self.key]).to_json()
        event = parse_envelope(envelope)
        index = self.chain.append(envelope, event.event_id)
        out.print(f"{index} {event.event_id} {payload.kind} {payload.subject}", markup=False)
        for attachment in sealed:
            ref = attachment.ref
            state = "stored" if self.chain.store_attachment(attachment) else "already stored"
            out.print(f"attachment {ref.digest} {ref.media_type} {ref.size} bytes {state}", markup=False)


@contextmanager
def _session(key_file: Path, home: Path | None, database_url: str | None, url: str | None) -> Iterator[_Session]:
    """Load the signer's key, then open the ledger for appending, or a client of the server at ``url``."""
    check_target(home, database_url, url)
    key = SigningKey.load(key_file, passphrase_from_env_or_prompt("Key passphrase: "))
    if url is not None:
        from traceledger.client import LedgerClient  # the HTTP stack loads only for --url

        with LedgerClient(url) as client:
            yield _Session(key, _RemoteChain(client))
        return
    ledger = Home.resolve(home, database_url).open(passphrase_from_env_or_prompt("Log key passphrase: "))
    try:
        yield _Session(key, _LocalChain(ledger))
    finally:
        ledger.close()


# ---- reading the ledger ------------------------------------------------------------------------------------


def _no_batch(batch: str, where: str) -> UnknownBatch:
    return UnknownBatch(f"no batch {batch} {where}; a producer registers it with `producer batch`")


def _no_parcel(parcel: str, where: str) -> UnknownParcel:
    return UnknownParcel(f"no parcel {parcel} {where}; it has not been dispatched")


def _no_actor(actor_id: str, where: str, why: str = "") -> UnknownActor:
    return UnknownActor(f"no registered actor {actor_id} {where}{why}")


def _no_event(event_id: str, option: str, where: str) -> NotFound:
    return NotFound(f"{option} {event_id}: no such event {where}")


def _of_kind(event_id: str, found: str, kind: str, option: str) -> str:
    if found != kind:
        raise WrongParents(f"{option} {event_id} is a {found} event, not a {kind}")
    return event_id


_NOTHING_TO_UPDATE = ", so there is nothing to update"


class _LocalChain:
    """The ledger of the home folder or database: parents come from its derived views."""

    where = "in the ledger"

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def store_attachment(self, sealed: SealedAttachment) -> bool:
        return store_attachment(self.ledger, sealed.ref.digest, sealed.stored)

    def commitment(self, digest: str) -> tuple[str, str]:
        entry = self.ledger.entry(committed_attachment(self.ledger, digest).leaf_index)
        return entry.event_id, entry.subject

    def _view_field(self, view: str, key: str, field: str, missing: LedgerError) -> str:
        """One field of a derived view row; ``missing`` is raised when the row does not exist."""
        row = self.ledger.view(view, key)
        if row is None:
            raise missing
        if not isinstance(row.get(field), str):
            raise LedgerStateError(f"the {view} view row for {key} has no {field!r}; run `traceledger reindex`")
        return str(row[field])

    def production(self, batch: str) -> str:
        return self._view_field("batches", batch, "production", _no_batch(batch, self.where))

    def custody(self, parcel: str) -> tuple[str, str]:
        missing = _no_parcel(parcel, self.where)
        head = self._view_field("parcels", parcel, "head", missing)
        return head, self._view_field("parcels", parcel, "custodian", missing)

    def key_event(self, actor_id: str) -> str:
        return self._view_field("actors", actor_id, "key_event", _no_actor(actor_id, self.where))

    def registration(self, actor_id: str) -> str:
        missing = _no_actor(actor_id, self.where, _NOTHING_TO_UPDATE)
        return self._view_field("actors", actor_id, "registration", missing)

    def logged(self, event_id: str, kind: str, option: str) -> str:
        try:
            entry = self.ledger.entry_by_event_id(event_id)
        except NotFound:
            raise _no_event(event_id, option, self.where) from None
        return _of_kind(event_id, entry.kind, kind, option)

    def append(self, envelope: dict[str, Any], event_id: str) -> int:
        result = self.ledger.append([envelope])[0]
        assert result.event_id == event_id
        return result.leaf_index

    def append_batch(self, envelopes: Sequence[dict[str, Any]]) -> list[int]:
        return [result.leaf_index for result in self.ledger.append(envelopes)]


class _RemoteChain:
    """A traceledger server: parents come from its actor, event and subject history answers."""

    def __init__(self, client: LedgerClient) -> None:
        self.client = client
        self.where = f"in the ledger at {client.url}"

    def production(self, batch: str) -> str:
        production = self.client.production(batch)
        if production is None:
            raise _no_batch(batch, self.where)
        return production.event_id

    def custody(self, parcel: str) -> tuple[str, str]:
        custody = self.client.custody(parcel)
        if custody is None:
            raise _no_parcel(parcel, self.where)
        return custody

    def key_event(self, actor_id: str) -> str:
        actor = self.client.actor(actor_id)
        if actor is None:
            raise _no_actor(actor_id, self.where)
        return actor.key_event

    def registration(self, actor_id: str) -> str:
        actor = self.client.actor(actor_id)
        if actor is None:
            raise _no_actor(actor_id, self.where, _NOTHING_TO_UPDATE)
        return actor.registration

    def logged(self, event_id: str, kind: str, option: str) -> str:
        event = self.client.event(event_id)
        if event is None:
            raise _no_event(event_id, option, self.where)
        return _of_kind(event_id, event.kind, kind, option)

    def append(self, envelope: dict[str, Any], event_id: str) -> int:
        from traceledger.client import RemoteError

        appended = self.client.submit(envelope)
        if appended.event_id != event_id:
            raise RemoteError(f"the server logged event {appended.event_id}, not the {event_id} submitted")
        return appended.index

    def append_batch(self, envelopes: Sequence[dict[str, Any]]) -> list[int]:
        return [appended.index for appended in self.client.submit_batch(envelopes)]

    def store_attachment(self, sealed: SealedAttachment) -> bool:
        return self.client.put_attachment(sealed.ref.digest, sealed.stored)

    def commitment(self, digest: str) -> tuple[str, str]:
        found = self.client.commitment(digest)
        if found is None:
            raise NotFound(f"no logged entry commits to attachment {digest} {self.where}")
        return found.event_id, found.subject


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


def _content(text: str, option: str = "--content") -> Content:
    """A ``--content BATCH_PATH:QUANTITY`` option (or another option of that form)."""
    batch, _, quantity = text.rpartition(":")
    if not batch or not (quantity.isascii() and quantity.isdigit()):
        raise InvalidPayload(f"{option} {text!r} must be BATCH_PATH:QUANTITY, e.g. 01/06901234567892/10/L1:20")
    return Content(_subject(batch, option, "batch"), int(quantity))


def _file_attachment(path: Path) -> SealedAttachment:
    """Seal a file as an attachment, its media type guessed from its name."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InvalidAttachment(f"cannot read {path}: {exc.strerror}") from None
    media_type = mimetypes.guess_type(path.name)[0] or FALLBACK_MEDIA_TYPE
    return seal_attachment(content, media_type.lower())


def _text_attachment(text: str | None) -> SealedAttachment | None:
    """Seal free text as a UTF-8 text attachment, or None without text."""
    return None if text is None else seal_attachment(text.encode("utf-8"), TEXT_MEDIA_TYPE)


def _ref(sealed: SealedAttachment | None) -> AttachmentRef | None:
    return None if sealed is None else sealed.ref


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
    url: UrlOption = None,
) -> None:
    """Register an organisation (or with --update replace its registration): roles, licences, prefixes, keys."""
    actor_id = validate_uscc(actor_id)
    parsed = [_licence(text) for text in licences or ()]
    public_keys = [read_public_key_file(path) for path in actor_keys]
    with _session(key, home, database_url, url) as session:
        parents = [session.chain.registration(actor_id)] if update else []
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
    url: UrlOption = None,
) -> None:
    """Add or revoke an organisation's keys, following its last key event."""
    actor_id = validate_uscc(actor_id)
    grants = [(read_public_key_file(path), None) for path in add or ()]
    with _session(key, home, database_url, url) as session:
        last = session.chain.key_event(actor_id)
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
    approval_number: Annotated[
        str | None, typer.Option("--approval-number", help="A drug's approval number (批准文号)")
    ] = None,
    strength: Annotated[str | None, typer.Option("--strength", help="A drug's strength (规格)")] = None,
    leaflet: Annotated[str | None, typer.Option("--leaflet", help="An https:// link to the drug's leaflet")] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            help="An input batch and the quantity used, BATCH_PATH:QUANTITY, taken from your stock; or only the "
            "production event id of an input batch (repeatable)",
        ),
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Register a new batch (lot) of a product, made from input batches (their stock used, or only named)."""
    used = [_content(text, "--input") for text in inputs or () if ":" in text]
    with _session(key, home, database_url, url) as session:
        parents = [session.chain.production(line.batch) for line in used]
        named = [text for text in inputs or () if ":" not in text]
        parents += [session.chain.logged(event_id, "production", "--input") for event_id in named]
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
                used=[(line.batch, line.quantity) for line in used],
                approval_number=approval_number,
                strength=strength,
                leaflet=leaflet,
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
    url: UrlOption = None,
) -> None:
    """Record an inspection result of a batch, with its report as an attachment."""
    batch = _subject(batch, "--batch", "batch")
    sealed = None if report is None else _file_attachment(report)
    with _session(key, home, database_url, url) as session:
        production = session.chain.production(batch)
        payload = inspection_payload(
            session.key, batch, production, result=result, standard=standard, report=_ref(sealed)
        )
        session.log(payload, [sealed])


@dataclass(frozen=True)
class _LabelledBatch:
    """What labels need to know of a logged batch, and the log's origin (whose host is the default portal)."""

    quantity: int
    expiry: str | None  # YYYY-MM-DD, as the production event recorded it
    origin: str


def _labelled_batch(batch: str, home: Path | None, database_url: str | None, url: str | None) -> _LabelledBatch:
    """Read the batch from the local ledger (no key needed) or from the server at ``url``."""
    check_target(home, database_url, url)
    if url is not None:
        from traceledger.client import LedgerClient

        with LedgerClient(url) as client:
            production = client.production(batch)
            if production is None:
                raise _no_batch(batch, f"in the ledger at {client.url}")
            data = production.payload.data
            return _LabelledBatch(data["quantity"], data.get("expiry"), client.origin())
    ledger = Home.resolve(home, database_url).open()
    try:
        row = ledger.view(BATCHES, batch)
    finally:
        ledger.close()
    if row is None:
        raise _no_batch(batch, "in the ledger")
    return _LabelledBatch(row["quantity"], row.get("expiry"), ledger.origin)


def _expiry_day(text: str) -> date:
    """An ``--expiry`` in ISO 8601 (YYYY-MM-DD, as every other date option takes it) or GS1's YYMMDD."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise InvalidIdentifier(f"--expiry {text}: no such date (YYYY-MM-DD)") from None
    return expiry_date(text)


@producer_app.command("labels")
def producer_labels(
    gtin: Annotated[str, typer.Option("--gtin", help="GTIN-14 of the product")],
    lot: Annotated[str, typer.Option("--lot", help="Batch/lot number")],
    count: Annotated[int, typer.Option("--count", help="How many labels (serials) to print")],
    output: Annotated[Path, typer.Option("--out", help="The PDF file to write")],
    first: Annotated[int, typer.Option("--first", help="The first serial number")] = 1,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="The verify portal, https://<host> (http:// with a warning)  [default: the log origin's host]",
        ),
    ] = None,
    expiry: Annotated[
        str | None,
        typer.Option(
            "--expiry", help="Expiry date YYYY-MM-DD (or GS1's YYMMDD), printed as ?17=  [default: the batch's own]"
        ),
    ] = None,
    grid: Annotated[
        str | None,
        typer.Option("--grid", help="Labels per A4 page, COLUMNSxROWS  [default: 3x8, labels of 67 × 36 mm]"),
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Print QR labels of a batch's items, serials FIRST to FIRST+COUNT-1 (at most its quantity), as an A4 PDF."""
    from qr import DEFAULT_GRID, Grid, InvalidLabelSheet, item_links, label_sheet_pdf, serial_numbers  # Pillow etc.

    batch = batch_subject(gtin, lot).path
    layout = DEFAULT_GRID if grid is None else Grid.parse(grid)
    day = None if expiry is None else _expiry_day(expiry)  # a malformed date fails before the ledger is read
    logged = _labelled_batch(batch, home, database_url, url)
    last = first + count - 1
    if last > logged.quantity:
        raise InvalidLabelSheet(f"serials {first} to {last}: batch {batch} has only {logged.quantity} items")
    serials = serial_numbers(count, first, width=serial_width(logged.quantity))  # the serials the batch issues
    if day is not None and logged.expiry is not None and day != date.fromisoformat(logged.expiry):
        raise InvalidIdentifier(f"--expiry {expiry} is {day}, but the batch's production recorded {logged.expiry}")
    if day is None and logged.expiry is not None:
        day = date.fromisoformat(logged.expiry)  # the labels carry the expiry the batch was produced with
    portal = base_url or f"https://{logged.origin.split('/', 1)[0]}"
    insecure = portal.startswith("http://")
    if insecure:  # a demo or test portal; phones open such codes without TLS, so anyone between can change the page
        err.print(f"warning: --base-url {portal} is plain http: print such labels only for a demo or a test")
    ai17 = None if day is None else f"{day:%y%m%d}"
    links = item_links(portal, gtin, lot, serials, ai17, allow_http=insecure)
    pdf = label_sheet_pdf(links, layout, title=f"Labels {batch}")
    try:
        output.write_bytes(pdf)
    except OSError as exc:
        raise InvalidLabelSheet(f"cannot write {output}: {exc.strerror}") from None
    pages = -(-count // layout.per_page)
    on = f"{pages} page" + ("s" if pages > 1 else "")
    out.print(f"{output} {count} labels on {on}: {links[0].uri} to {links[-1].uri}", markup=False)


@producer_app.command("recall")
@regulator_app.command("recall")
def recall(
    key: KeyOption,
    batch: BatchOption,
    reason: Annotated[str, typer.Option("--reason", help="safety, quality, labelling, counterfeit, ...")],
    level: Annotated[int, typer.Option("--level", help="Recall level 1 (most serious) to 3")],
    finding: FindingOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Recall a batch: it may no longer be listed or dispatched, except back to its producer."""
    batch = _subject(batch, "--batch", "batch")
    with _session(key, home, database_url, url) as session:
        production = session.chain.production(batch)
        acts_on = None if finding is None else session.chain.logged(finding, "risk.finding", "--finding")
        session.log(recall_payload(session.key, batch, production, reason=reason, level=level, finding=acts_on))


@merchant_app.command("list")
def merchant_list(
    key: KeyOption,
    batch: BatchOption,
    price: Annotated[int, typer.Option("--price", help="Price in fen (CNY minor units)")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """List a batch for sale at a price."""
    batch = _subject(batch, "--batch", "batch")
    with _session(key, home, database_url, url) as session:
        production = session.chain.production(batch)
        session.log(listing_payload(session.key, batch, production, price=price))


def _items(paths: Sequence[str]) -> list[Content]:
    """``--item`` options (item subject paths) as one content line per batch, carrying those serials."""
    serials: dict[str, list[str]] = {}
    for path in paths:
        item = parse_subject(_subject(path, "--item", "item"))
        assert item.batch_path is not None
        assert item.serial is not None
        if item.serial in serials.setdefault(item.batch_path, []):
            raise InvalidPayload(f"--item {item.path} is given twice")
        serials[item.batch_path].append(item.serial)
    return [Content(batch, len(chosen), tuple(chosen)) for batch, chosen in serials.items()]


@producer_app.command("dispatch")
@merchant_app.command("dispatch")
def dispatch(
    key: KeyOption,
    parcel: ParcelOption,
    location: Annotated[str, typer.Option("--location", help="Where the parcel leaves from")],
    contents: Annotated[list[str] | None, typer.Option("--content", help="BATCH_PATH:QUANTITY (repeatable)")] = None,
    items: Annotated[
        list[str] | None, typer.Option("--item", help="An item by serial, 01/<GTIN>/10/<lot>/21/<serial> (repeatable)")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="USCC of the receiving organisation")] = None,
    consignee_key: Annotated[
        str | None,
        typer.Option(
            "--consignee-key",
            help="The consumer's public key, instead of --to: its text from the consumer page, a .pub file, or an "
            "image of its QR code",
        ),
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Dispatch a parcel of goods, drawn from batches or item by item, to an organisation or a consumer's key."""
    if (to is None) == (consignee_key is None):
        raise InvalidPayload("give exactly one of --to and --consignee-key")
    if not contents and not items:
        raise InvalidPayload("give what the parcel holds: --content BATCH_PATH:QUANTITY or --item ITEM_PATH")
    parcel = _subject(parcel, "--parcel", "parcel")
    lines = [_content(text) for text in contents or ()] + _items(items or ())
    consignee = None if consignee_key is None else read_consignee_key(consignee_key)
    destination = None if to is None else validate_uscc(to)
    with _session(key, home, database_url, url) as session:
        parents = list(dict.fromkeys(session.chain.production(line.batch) for line in lines))
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
    url: UrlOption = None,
) -> None:
    """Take custody of a parcel from its current custodian."""
    parcel = _subject(parcel, "--parcel", "parcel")
    with _session(key, home, database_url, url) as session:
        head, custodian = session.chain.custody(parcel)
        session.log(handoff_payload(session.key, parcel, head, from_actor=custodian, location=location))


PalletOption = Annotated[str, typer.Option("--pallet", help="The pallet's parcel subject path, 00/<SSCC>")]


@producer_app.command("aggregate")
@merchant_app.command("aggregate")
@courier_app.command("aggregate")
def aggregate(
    key: KeyOption,
    pallet: PalletOption,
    parcels: Annotated[list[str], typer.Option("--parcel", help="A parcel you hold, to load onto it (repeatable)")],
    location: Annotated[str, typer.Option("--location", help="Where the pallet is loaded")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Load parcels you hold onto a new pallet: one handoff of the pallet moves them all, until it is split."""
    pallet = _subject(pallet, "--pallet", "parcel")
    cases = [_subject(case, "--parcel", "parcel") for case in parcels]
    with _session(key, home, database_url, url) as session:
        heads = [(case, session.chain.custody(case)[0]) for case in cases]
        session.log(aggregation_payload(session.key, pallet, heads, location=location))


@producer_app.command("split")
@merchant_app.command("split")
@courier_app.command("split")
def split(
    key: KeyOption,
    pallet: PalletOption,
    location: Annotated[str, typer.Option("--location", help="Where the pallet is split")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Split a pallet you hold: each parcel on it continues alone."""
    pallet = _subject(pallet, "--pallet", "parcel")
    with _session(key, home, database_url, url) as session:
        head, _ = session.chain.custody(pallet)
        session.log(disaggregation_payload(session.key, pallet, head, location=location))


@consumer_app.command("receipt")
def consumer_receipt(
    key: KeyOption,
    parcel: ParcelOption,
    condition: Annotated[str, typer.Option("--condition", help="intact, damaged or refused")] = "intact",
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Sign for a parcel with the consignee key declared at dispatch."""
    parcel = _subject(parcel, "--parcel", "parcel")
    with _session(key, home, database_url, url) as session:
        head, _ = session.chain.custody(parcel)
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
    url: UrlOption = None,
) -> None:
    """Review goods you signed for; the follow-up review follows the first one."""
    subject = _subject(subject, "--subject", *PRODUCT_SUBJECTS)
    with _session(key, home, database_url, url) as session:
        parent = session.chain.logged(receipt, "signature", "--receipt")
        if follow_up_of is not None:
            parent = session.chain.logged(follow_up_of, "review", "--follow-up-of")
        sealed = _text_attachment(text)
        session.log(review_payload(session.key, subject, parent, rating=rating, text=_ref(sealed)), [sealed])


def _complain(
    key: Path,
    subject: str,
    category: str,
    channel: str,
    receipt: str | None,
    text: str | None,
    home: Path | None,
    database_url: str | None,
    url: str | None,
) -> None:
    """File a complaint, following the receipt when there is one."""
    subject = _subject(subject, "--subject", *COMPLAINT_SUBJECTS)
    with _session(key, home, database_url, url) as session:
        parents = [] if receipt is None else [session.chain.logged(receipt, "signature", "--receipt")]
        details = _text_attachment(text)
        payload = complaint_payload(
            session.key, subject, category=category, channel=channel, parents=parents, details=_ref(details)
        )
        session.log(payload, [details])


@consumer_app.command("complain")
def consumer_complain(
    key: KeyOption,
    subject: Annotated[str, typer.Option("--subject", help="Batch, item, parcel or actor subject path")],
    category: Annotated[str, typer.Option("--category", help="counterfeit, quality, mismatch, ...")],
    receipt: Annotated[str | None, typer.Option("--receipt", help="Event id of your signature, if any")] = None,
    text: TextOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """File a complaint as a consumer (a verified purchase when it follows your receipt)."""
    _complain(key, subject, category, "consumer", receipt, text, home, database_url, url)


# ---- regulator ---------------------------------------------------------------------------------------------


@regulator_app.command("complaint")
def regulator_complaint(
    key: KeyOption,
    subject: Annotated[str, typer.Option("--subject", help="Batch, item, parcel or actor subject path")],
    category: Annotated[str, typer.Option("--category", help="counterfeit, quality, mismatch, ...")],
    channel: Annotated[str, typer.Option("--channel", help="The hotline: " + ", ".join(HOTLINES))] = "12315",
    text: TextOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Import a complaint received through another channel, such as the 12315 hotline."""
    _complain(key, subject, category, channel, None, text, home, database_url, url)


#: Hotline complaints appended per atomic batch (the log takes up to 1,000 events in one).
IMPORT_BATCH = 500


@regulator_app.command("import-complaints")
def regulator_import_complaints(
    file: Annotated[Path, typer.Argument(help="CSV (with a header) or .json: channel, subject, category, text")],
    key: KeyOption,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Import hotline complaints in bulk, each row a complaint signed with your key. The whole file is checked
    first (a bad row, or a column of personal data, refuses it and nothing is logged); then it is appended in
    batches of 500, each text stored as its complaint's attachment."""
    rows = read_complaints(file)
    with _session(key, home, database_url, url) as session:
        texts = [_text_attachment(row.text) for row in rows]
        envelopes = [
            sign_event(
                complaint_payload(session.key, r.subject, category=r.category, channel=r.channel, details=_ref(t)),
                [session.key],
            ).to_json()
            for r, t in zip(rows, texts, strict=True)
        ]
        indices: list[int] = []
        with progress_bar(sys.stderr.isatty(), "importing") as update:
            for start in range(0, len(rows), IMPORT_BATCH):
                indices += _import_batch(session, file, start, envelopes[start : start + IMPORT_BATCH])
                for sealed in texts[start : start + IMPORT_BATCH]:
                    if sealed is not None:
                        session.chain.store_attachment(sealed)
                if update is not None:
                    update(len(indices), len(rows))
    out.print(f"{len(indices)} complaint(s) from {file} logged at entries {indices[0]} to {indices[-1]}", markup=False)


def _import_batch(session: _Session, file: Path, start: int, envelopes: Sequence[dict[str, Any]]) -> list[int]:
    """Append one batch of an import; a refusal names the file's row and what was logged before it."""
    try:
        return session.chain.append_batch(envelopes)
    except LedgerError as exc:
        logged = "nothing was imported" if start == 0 else f"rows 1 to {start} were logged, the rest not"
        if exc.position is None:
            raise type(exc)(f"{file} rows {start + 1} to {start + len(envelopes)}: {exc.detail}; {logged}") from None
        detail = exc.detail.removeprefix(f"event {exc.position} of the batch: ")
        raise type(exc)(f"{file} row {start + exc.position + 1}: {detail}; {logged}") from None


@regulator_app.command("resolve")
def regulator_resolve(
    key: KeyOption,
    subject: Annotated[str, typer.Option("--subject", help="The complaint's subject path")],
    complaint: Annotated[str, typer.Option("--complaint", help="Event id of the complaint")],
    outcome: Annotated[str, typer.Option("--outcome", help="upheld, rejected, compensated or withdrawn")],
    reason: Annotated[str, typer.Option("--reason", help="Why, one of: " + ", ".join(RESOLUTION_REASONS))],
    compensation: Annotated[int, typer.Option("--compensation", help="Compensation in fen")] = 0,
    text: TextOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Resolve a complaint, with the reason for its outcome (details, if any, as an attachment)."""
    subject = _subject(subject, "--subject", *COMPLAINT_SUBJECTS)
    with _session(key, home, database_url, url) as session:
        complaint = session.chain.logged(complaint, "complaint", "--complaint")
        details = _text_attachment(text)
        payload = resolution_payload(
            session.key, subject, complaint, outcome=outcome, reason=reason, compensation=compensation,
            details=_ref(details),
        )  # fmt: skip
        session.log(payload, [details])


@registrar_app.command("erase-attachment")
@regulator_app.command("erase-attachment")
@consumer_app.command("erase-attachment")
def erase(
    digest: Annotated[str, typer.Argument(help="The attachment's digest, sha256:<hex>, as its event holds it")],
    reason: Annotated[str, typer.Option("--reason", help="Why, one of: " + ", ".join(ERASURE_REASONS))],
    key: KeyOption,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Erase an attachment's content for good (privacy law) with a signed, logged attachment.erasure event; the
    event that committed to it and every proof stay valid. A regulator or registrar may erase any attachment; a
    consumer, the text its own key committed to, with --reason pipl_request."""
    with _session(key, home, database_url, url) as session:
        event_id, subject = session.chain.commitment(digest)
        session.log(erasure_payload(session.key, subject, event_id, digest=digest, reason=reason))


@regulator_app.command("sanction")
def regulator_sanction(
    key: KeyOption,
    actor_id: Annotated[str, typer.Option("--actor", help="USCC of the sanctioned organisation")],
    list_: Annotated[str, typer.Option("--list", help="black or red")],
    reason: Annotated[str, typer.Option("--reason", help="Why")],
    until: Annotated[str | None, typer.Option("--until", help="End of the sanction (RFC 3339 UTC)")] = None,
    lift: Annotated[str | None, typer.Option("--lift", help="Event id of the sanction this lifts")] = None,
    finding: FindingOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Put an organisation on the black or red list, or lift an earlier sanction."""
    actor_id = validate_uscc(actor_id)
    with _session(key, home, database_url, url) as session:
        lifts = None if lift is None else session.chain.logged(lift, "sanction", "--lift")
        acts_on = None if finding is None else session.chain.logged(finding, "risk.finding", "--finding")
        payload = sanction_payload(
            session.key, actor_id, list_=list_, reason=reason, until=until, lifts=lifts, finding=acts_on
        )
        session.log(payload)
