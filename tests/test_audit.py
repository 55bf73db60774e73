"""Every create, update and delete of a business record is kept, append-only, with who and when."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit import history_for, record
from app.models import AuditEntry, Client, Gemeente, User


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
