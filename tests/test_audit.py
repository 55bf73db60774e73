"""Every create, update and delete of a business record is kept, append-only, with who and when."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select, text

from app.audit import history_for, record, verify_chain
from app.models import Audited, AuditEntry, Client, Gemeente, User
from contracts.audit_chain import CONTENT_CHANGED, GENESIS, LINK_BROKEN


def _entries(db, entity_type, entity_id):
    return history_for(db, entity_type, entity_id)


def test_create_update_delete_are_recorded_with_before_and_after(db, world):
    db.info["actor"] = (world.users["admin"].id, "admin")
    gemeente = Gemeente(name="Deestad", cbs_code="GM8004")
    db.add(gemeente)
    db.commit()
    gemeente.name = "Deestad-Noord"
    db.commit()
    gid = gemeente.id
    db.delete(gemeente)
    db.commit()

    entries = list(reversed(_entries(db, "gemeente", gid)))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[0].changes["name"] == {"before": None, "after": "Deestad"}
    assert entries[1].changes == {"name": {"before": "Deestad", "after": "Deestad-Noord"}}
    assert entries[2].changes["cbs_code"] == {"before": "GM8004", "after": None}
    assert all(e.actor_id == world.users["admin"].id and e.actor_label == "admin" for e in entries)


def test_update_without_real_change_writes_nothing(db, world):
    gemeente = world.gemeenten[0]
    before = len(_entries(db, "gemeente", gemeente.id))
    gemeente.name = gemeente.name
    db.commit()
    assert len(_entries(db, "gemeente", gemeente.id)) == before


def test_bsn_is_masked_in_the_audit_trail(db, world):
    client = world.clients[0]
    entries = _entries(db, "client", client.id)
    create = next(e for e in entries if e.action == "create" and e.entity_type == "client")
    assert create.changes["bsn"]["after"] == "******333"
    assert "111222333" not in str([e.changes for e in entries])


def test_password_hash_never_enters_the_trail(db, world):
    user = world.users["inkoper"]
    user.password_hash = "something-new"
    db.commit()
    for entry in _entries(db, "user_account", user.id):
        assert "password_hash" not in entry.changes


def test_many_to_many_changes_are_recorded(db, world):
    user = db.get(User, world.users["klantmanager"].id)
    user.gemeenten = [world.gemeenten[0]]
    db.commit()
    latest = _entries(db, "user_account", user.id)[0]
    assert latest.changes["gemeenten"] == {"removed": ["Beedorp"], "added": []}


def test_entries_cannot_be_changed_or_deleted_through_the_orm(db, world):
    entry = db.scalar(select(AuditEntry).limit(1))
    entry.actor_label = "someone else"
    with pytest.raises(PermissionError):
        db.flush()
    db.rollback()
    entry = db.scalar(select(AuditEntry).limit(1))
    db.delete(entry)
    with pytest.raises(PermissionError):
        db.flush()
    db.rollback()


def test_record_logs_reads(db, world):
    client = db.get(Client, world.clients[0].id)
    record(db, "reveal_bsn", "client", client.id, {"reason": "test"})
    db.commit()
    assert _entries(db, "client", client.id)[0].action == "reveal_bsn"


def test_a_failed_transaction_leaves_no_audit_entry(db, world):
    count = len(db.scalars(select(AuditEntry)).all())
    db.add(Gemeente(name="Eeveen", cbs_code="GM8005"))
    db.flush()
    db.rollback()
    assert len(db.scalars(select(AuditEntry)).all()) == count


def test_record_pages_show_history(as_role, world):
    page = as_role("admin").get(f"/gemeenten/{world.gemeenten[0].id}").get_data(as_text=True)
    assert "Historie" in page
    assert "aangemaakt" in page


def test_parts_show_in_their_parents_history_even_after_deletion(db, world):
    from app.models import ProviderContact

    provider = world.providers[0]
    contact = ProviderContact(provider_id=provider.id, name="Tijdelijk Contact")
    db.add(contact)
    db.commit()
    contact_id = contact.id
    db.delete(contact)
    db.commit()
    entries = [e for e in _entries(db, "provider", provider.id) if e.entity_id == contact_id]
    assert [(e.entity_type, e.action) for e in entries] == [("provider_contact", "delete"),
                                                            ("provider_contact", "create")]
    assert all(e.parent_type == "provider" and e.parent_id == provider.id for e in entries)
    other = world.providers[1]
    assert all(e.entity_type != "provider_contact" or e.entity_id != contact_id
               for e in _entries(db, "provider", other.id))


def _tamper(db, statement: str, **params) -> None:
    """What someone who owns the table (or the SQLite file) can do: switch the guard off, rewrite, switch it on.
    Inside the test's transaction, so it is undone afterwards."""
    if db.bind.dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        db.execute(text(statement), params)
        db.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER USER"))
    else:
        db.execute(text("DROP TRIGGER audit_entry_no_update"))
        db.execute(text("DROP TRIGGER audit_entry_no_delete"))
        db.execute(text(statement), params)


def _some_changes(db, world) -> list[int]:
    db.info["actor"] = (world.users["admin"].id, "admin")
    gemeente = Gemeente(name="Effeveen", cbs_code="GM8006")
    db.add(gemeente)
    db.flush()
    gemeente.name = "Effeveen-Zuid"
    db.flush()
    record(db, "reveal_bsn", "client", world.clients[0].id, {"reason": "test"})
    db.commit()
    return [e.id for e in reversed(history_for(db, "gemeente", gemeente.id))]


def test_every_entry_the_app_writes_extends_an_intact_chain(db, world):
    _some_changes(db, world)
    entries = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert entries[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.entry_hash for earlier, later in itertools.pairwise(entries))
    verdict = verify_chain(db)
    assert verdict.intact and verdict.checked == len(entries) and verdict.last_id == entries[-1].id


def test_a_changed_entry_and_a_removed_entry_are_found_where_they_are(db, world):
    created, updated = _some_changes(db, world)
    _tamper(db, "UPDATE audit_entry SET actor_label = 'iemand anders' WHERE id = :id", id=created)
    verdict = verify_chain(db)
    assert (verdict.intact, verdict.broken_at, verdict.reason) == (False, created, CONTENT_CHANGED)
    db.rollback()
    _tamper(db, "DELETE FROM audit_entry WHERE id = :id", id=created)
    verdict = verify_chain(db)
    assert (verdict.intact, verdict.broken_at, verdict.reason) == (False, updated, LINK_BROKEN)


def test_flask_audit_verify_reports_intact_or_the_first_break_and_fails(app, db, world):
    _some_changes(db, world)
    total = db.scalar(select(func.count()).select_from(AuditEntry))
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"intact ({total} entries)"
    db.expire_all()
    run = db.scalars(select(AuditEntry).where(AuditEntry.action == "verify_chain")).one()
    assert run.actor_label == "systeem" and run.changes["intact"] is True and run.changes["checked"] == total

    first = db.scalar(select(func.min(AuditEntry.id)))
    _tamper(db, "UPDATE audit_entry SET changes = '{}' WHERE id = :id", id=first)
    db.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"broken at entry {first}: its content does not match its hash" in result.output


def test_the_audit_page_says_intact_or_where_the_chain_breaks(as_role, app, db, world):
    admin = as_role("admin")
    page = admin.get("/beheer/auditlog").get_data(as_text=True)
    assert "Intact." in page and "regels gecontroleerd vanaf het begin" in page
    app.test_cli_runner().invoke(args=["audit", "verify"])
    _some_changes(db, world)
    page = admin.get("/beheer/auditlog").get_data(as_text=True)
    assert "Volledig gecontroleerd op" in page and "Daarna 4 nieuwe regels gecontroleerd" in page

    newest = db.scalar(select(func.max(AuditEntry.id)))
    _tamper(db, "UPDATE audit_entry SET actor_label = 'x' WHERE id = :id", id=newest)
    db.commit()
    page = admin.get("/beheer/auditlog").get_data(as_text=True)
    assert f"Gebroken bij regel {newest}:" in page and "de regel is gewijzigd" in page


def test_the_page_checks_a_bounded_number_of_new_entries(as_role, app, db, world, monkeypatch):
    from app import audit

    monkeypatch.setattr(audit, "PAGE_CHECK_LIMIT", 3)
    _some_changes(db, world)
    status = audit.chain_status(db)
    assert status.intact and status.checked_since == 3 and status.more_unchecked


def test_ids_of_deleted_records_are_never_given_again(db, world):
    """The trail names a record by type and id: a new record must not inherit a deleted one's history."""
    gemeente = Gemeente(name="Geeveen", cbs_code="GM8007")
    db.add(gemeente)
    db.commit()
    first_id = gemeente.id
    db.delete(gemeente)
    db.commit()
    again = Gemeente(name="Geeveen", cbs_code="GM8007")
    db.add(again)
    db.commit()
    assert again.id != first_id
    assert [e.action for e in history_for(db, "gemeente", again.id)] == ["create"]


def test_every_audited_table_and_the_trail_use_autoincrement_on_sqlite(db):
    if db.bind.dialect.name != "sqlite":
        pytest.skip("PostgreSQL sequences never give an id twice; AUTOINCREMENT is SQLite's")
    from app.db import Base

    audited = {m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, Audited)} | {"audit_entry"}
    rows = dict(db.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
    assert {name for name in audited if "AUTOINCREMENT" not in rows[name]} == set()


def test_a_bsn_in_free_text_is_masked_before_it_is_kept(db, world):
    """A file named after its client's BSN, a reason typed with one: the trail keeps them masked, but leaves
    amounts, IBANs and VAT numbers whose digits happen to pass the 11-test alone."""
    record(db, "view_evidence", "traject", world.traject.id,
           {"file": "123456782.pdf", "note": "bsn 111222333", "amount": "123456782.00",
            "iban": "NL20INGB0001234567", "vat": "NL123456782B01", "list": ["100000009"]})
    db.commit()
    latest = history_for(db, "traject", world.traject.id)[0]
    assert latest.changes == {"file": "******782.pdf", "note": "bsn ******333", "amount": "123456782.00",
                              "iban": "NL20INGB0001234567", "vat": "NL123456782B01", "list": ["******009"]}
    assert verify_chain(db).intact


def test_entries_wait_for_the_commit_and_go_with_a_rolled_back_savepoint(db, world):
    """Entries are appended just before the commit (the chain's turn is taken then, not at the first flush);
    an entry made in a savepoint that is rolled back is dropped with its row, one of a released one kept."""
    kept, dropped = Gemeente(name="Eestad", cbs_code="GM8005"), Gemeente(name="Effestad", cbs_code="GM8006")
    with db.begin_nested():
        db.add(kept)
    savepoint = db.begin_nested()
    db.add(dropped)
    db.flush()
    dropped_id = dropped.id
    savepoint.rollback()
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_type == "gemeente", AuditEntry.entity_id == kept.id)) == 0  # not yet: at the commit
    db.commit()
    assert [e.action for e in _entries(db, "gemeente", kept.id)] == ["create"]
    assert _entries(db, "gemeente", dropped_id) == []
    assert verify_chain(db).intact


def test_a_rolled_back_transaction_leaves_no_entries_for_the_next(db, world):
    db.add(Gemeente(name="Geestad", cbs_code="GM8007"))
    db.flush()
    db.rollback()
    before = db.scalar(select(func.max(AuditEntry.id)))
    record(db, "reveal_bsn", "client", world.clients[0].id, {"reason": "test"})
    db.commit()
    assert [e.action for e in db.scalars(select(AuditEntry).where(AuditEntry.id > before))] == ["reveal_bsn"]
