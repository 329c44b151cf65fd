"""Erasing an attachment in the store: one logged ``attachment.erasure``, refused again with nothing stored;
reindex derives the same views. Who may erase what is tested on the rules themselves (tests/ledger/rules)."""

from __future__ import annotations

from ledger.errors import AlreadyErased
from ledger.store.attachments import committed_attachment, erase_attachment, store_attachment
from tests.ledger.store.test_attachments import reviewed
from tests.scenarios.world import World


def test_a_regulator_erases_once_and_a_second_erasure_is_refused(world: World) -> None:
    sealed, _ = reviewed(world)
    regulator = world.register("曲靖市市场监督管理局", "regulator")
    digest = sealed.ref.digest
    assert erase_attachment(world.ledger, regulator.key, digest, "unlawful_content").created
    with world.rejected(AlreadyErased):
        erase_attachment(world.ledger, world.registrar, digest, "court_order")


def test_reindex_derives_the_same_views_after_an_erasure(world: World) -> None:
    sealed, _ = reviewed(world)
    store_attachment(world.ledger, sealed.ref.digest, sealed.stored)
    erase_attachment(world.ledger, world.registrar, sealed.ref.digest, "court_order")
    views = world.ledger.views()
    assert any(view == "attachments" and key == sealed.ref.digest for view, key in views)
    world.ledger.reindex()
    assert world.ledger.views() == views
    assert committed_attachment(world.ledger, sealed.ref.digest).status == "removed"
