"""Rules for who is who: genesis, registration of actors and their keys, and red and black lists."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.errors import (
    ActorExists,
    GenesisViolation,
    NotAuthorized,
    PrefixTaken,
    StaleUpdate,
    UnknownActor,
    WrongParents,
)
from ledger.events.schemas import ActorKeys, ActorRegister, Genesis, KeyGrant, Licence, Sanction
from ledger.identifiers import parse_subject
from ledger.rules import risk
from ledger.rules.context import Context
from ledger.rules.views import (
    ACTORS,
    GS1_PREFIXES,
    KEYS,
    LOG,
    SANCTIONS,
    ActiveSanction,
    ActorRow,
    KeyRow,
    LicenceRow,
    LogRow,
    PrefixRow,
    SanctionsRow,
)
from signer.encoding import b64decode_strict
from signer.keys import kid_of

MIN_PREFIX = 6


def _subject_actor_id(ctx: Context) -> str:
    actor_id = parse_subject(ctx.subject).actor_id
    assert actor_id is not None  # the schema admits only actor subjects here
    return actor_id


def _grant_keys(ctx: Context, actor_id: str, grants: Sequence[KeyGrant]) -> list[str]:
    """Register keys to ``actor_id``; a key already registered to another actor is refused."""
    kids = []
    for grant in grants:
        kid = kid_of(b64decode_strict(grant.public_key, "public_key"))
        existing = ctx.state.get(KEYS, kid)
        if existing is not None and existing["actor"] != actor_id:
            raise NotAuthorized(f"key {kid} is already registered to another actor")
        if existing is None:  # a key already granted keeps its row: its validity is not re-opened
            row: KeyRow = {
                "actor": actor_id, "public_key": grant.public_key, "valid_from": ctx.stamp,
                "valid_until": grant.valid_until, "revoked_at": None, "event": ctx.event_id,
            }  # fmt: skip
            ctx.state.put(KEYS, kid, row)
        kids.append(kid)
    return kids


def _parts(prefix: str) -> list[str]:
    """Every leading part of a prefix that could itself be a company prefix (6 digits or more)."""
    return [prefix[:end] for end in range(MIN_PREFIX, len(prefix) + 1)]


def _claim_prefixes(ctx: Context, actor_id: str, old: list[str], new: list[str]) -> None:
    """Own GS1 company prefixes; no prefix may equal, extend, or be extended by another actor's.

    The view keeps a row per leading part of every registered prefix: which actors hold a prefix running
    through it, and who registered exactly that part, so each check is a few key lookups.
    """
    for prefix in old:  # release the actor's old prefixes first: an update replaces them
        for part in _parts(prefix):
            row = ctx.state.get(GS1_PREFIXES, part) or _NO_PREFIX
            released: PrefixRow = {
                "actors": [a for a in row["actors"] if a != actor_id],
                "registered_by": None if row["registered_by"] == actor_id else row["registered_by"],
            }
            ctx.state.put(GS1_PREFIXES, part, released if released["actors"] else None)
    for prefix in new:
        holders = (ctx.state.get(GS1_PREFIXES, prefix) or _NO_PREFIX)["actors"]
        others = [a for a in holders if a != actor_id]
        if others:
            raise PrefixTaken(f"GS1 prefix {prefix} is, or is extended by, a prefix of actor {others[0]}")
        for part in _parts(prefix)[:-1]:
            shorter = ctx.state.get(GS1_PREFIXES, part)
            if shorter is not None and shorter["registered_by"] not in (None, actor_id):
                raise PrefixTaken(f"GS1 prefix {prefix} extends prefix {part} of actor {shorter['registered_by']}")
    for prefix in new:
        for part in _parts(prefix):
            row = ctx.state.get(GS1_PREFIXES, part) or _NO_PREFIX
            claimed: PrefixRow = {
                "actors": sorted({*row["actors"], actor_id}),
                "registered_by": actor_id if part == prefix else row["registered_by"],
            }
            ctx.state.put(GS1_PREFIXES, part, claimed)


_NO_PREFIX: PrefixRow = {"actors": [], "registered_by": None}


def _licence_row(licence: Licence) -> LicenceRow:
    return {"type": licence.type, "number": licence.number, "valid_until": licence.valid_until}


def _put_actor(ctx: Context, actor_id: str, data: ActorRegister, previous: ActorRow | None) -> None:
    kids = _grant_keys(ctx, actor_id, data.keys)
    _claim_prefixes(ctx, actor_id, previous["gs1_prefixes"] if previous else [], data.gs1_prefixes)
    known = previous["keys"] if previous else []
    row: ActorRow = {
        "id": actor_id, "name": data.name, "roles": list(data.roles),
        "licences": [_licence_row(licence) for licence in data.licences], "gs1_prefixes": list(data.gs1_prefixes),
        "keys": known + [k for k in kids if k not in known], "registration": ctx.event_id, "key_event": ctx.event_id,
    }  # fmt: skip
    ctx.state.put(ACTORS, actor_id, row)


def genesis(ctx: Context) -> None:
    """Entry 0 names the origin, the log key and the first registrars; it is signed by the operator key."""
    if ctx.index != 0 or ctx.event.payload.kind != "genesis":
        raise GenesisViolation(f"entry {ctx.index} is a {ctx.event.payload.kind}; genesis is entry 0 and only entry 0")
    data = ctx.data(Genesis)
    if ctx.signer_kid != kid_of(b64decode_strict(data.operator_key, "operator_key")):
        raise GenesisViolation("genesis must be signed by the operator key it names")
    ctx.only_signed_by_actor()
    for registrar in data.registrars:
        if ctx.state.get(ACTORS, registrar.id) is not None:
            raise ActorExists(f"registrar {registrar.id} is named twice")
        grants = [KeyGrant(public_key=key) for key in registrar.keys]
        registration = ActorRegister(
            name=registrar.name, roles=["registrar"], licences=[], gs1_prefixes=[], keys=grants
        )
        _put_actor(ctx, registrar.id, registration, None)
    log: LogRow = {"origin": data.origin, "log_vkey": data.log_vkey, "event": ctx.event_id}
    ctx.state.put(LOG, "genesis", log)


def register(ctx: Context) -> None:
    """A registrar registers an organisation (or, with the previous registration as parent, updates it)."""
    ctx.registered_signer("registrar")
    ctx.only_signed_by_actor()
    actor_id = _subject_actor_id(ctx)
    previous = ctx.state.get(ACTORS, actor_id)
    parents = ctx.parents()
    if not parents:
        if previous is not None:
            raise ActorExists(f"actor {actor_id} is already registered; update it with its registration as parent")
    elif len(parents) > 1:
        raise WrongParents("an update of a registration has one parent: the registration it replaces")
    elif previous is None:
        raise UnknownActor(f"actor {actor_id} is not registered, so there is nothing to update")
    elif parents[0] != previous["registration"]:
        raise StaleUpdate(f"the latest registration of {actor_id} is {previous['registration']}")
    _put_actor(ctx, actor_id, ctx.data(ActorRegister), previous)


def update_keys(ctx: Context) -> None:
    """A registrar, or a current key of the actor itself, adds or revokes the actor's keys."""
    actor_id = _subject_actor_id(ctx)
    actor = ctx.actor_row(actor_id)
    key = ctx.key_row(ctx.signer_kid)
    if key["actor"] != actor_id:
        ctx.registered_signer("registrar")
    ctx.only_signed_by_actor()
    if ctx.parents(1)[0] != actor["key_event"]:
        raise StaleUpdate(f"the latest key event of {actor_id} is {actor['key_event']}")
    data = ctx.data(ActorKeys)
    added = _grant_keys(ctx, actor_id, data.add)
    for kid in data.revoke:
        row = ctx.state.get(KEYS, kid)
        if row is None or row["actor"] != actor_id:
            raise NotAuthorized(f"key {kid} is not a key of actor {actor_id}")
        if row.get("revoked_at") is not None:
            raise NotAuthorized(f"key {kid} is already revoked")
        revoked: KeyRow = {**row, "revoked_at": ctx.stamp}
        ctx.state.put(KEYS, kid, revoked)
    updated: ActorRow = {
        **actor, "keys": actor["keys"] + [k for k in added if k not in actor["keys"]], "key_event": ctx.event_id,
    }  # fmt: skip
    ctx.state.put(ACTORS, actor_id, updated)


def sanction(ctx: Context) -> None:
    """A regulator puts an actor on the red or black list, or lifts an earlier sanction (its parent)."""
    ctx.registered_signer("regulator")
    ctx.only_signed_by_actor()
    actor_id = _subject_actor_id(ctx)
    ctx.actor_row(actor_id)
    data = ctx.data(Sanction)
    current = ctx.state.get(SANCTIONS, actor_id)
    active: list[ActiveSanction] = list(current["active"]) if current else []
    if data.lift:
        lifted = ctx.parents(1)[0]
        match = [s for s in active if s["event"] == lifted and s["list"] == data.list]
        if not match:
            raise WrongParents(f"{lifted} is not an active {data.list}-list sanction of {actor_id}")
        active.remove(match[0])
    else:
        ctx.parents(0)
        active.append({"event": ctx.event_id, "list": data.list, "until": data.until})
    risk.sanction_acts_on(ctx, data.finding, actor_id)
    row: SanctionsRow = {"active": active}
    ctx.state.put(SANCTIONS, actor_id, row)
