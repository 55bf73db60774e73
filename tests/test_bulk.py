"""Bulk actions refuse exactly what the single action refuses, name every refusal, and store nothing of a batch
with a refusal unless the user chose only the valid ones."""

from __future__ import annotations

from app.models import Invoice
from invoicing.status import InvoiceStatus
from tests.test_invoices import step
from tests.test_trajecten import error_at, text


def second_invoice(db, world) -> Invoice:
    """A submitted invoice that finance2 made: finance may check it, finance2 may not."""
    original = world.invoice
    copy = Invoice(**{c.name: getattr(original, c.name) for c in Invoice.__table__.columns
                      if c.name not in ("id", "number", "status", "created_by_id", "version")},
                   number=f"{original.number}-B", status=InvoiceStatus.SUBMITTED,
                   created_by_id=world.users["finance2"].id)
    db.add(copy)
    db.commit()
    return copy


def bulk(c, invoices, step_name: str, only_valid: bool = False):
    data = {"step": step_name, "invoice": [str(i.id) for i in invoices]}
    if only_valid:
        data["only_valid"] = "y"
    return c.post("/facturen/stappen", data=data, follow_redirects=True)


def statuses(db, *invoices) -> list[InvoiceStatus]:
    db.expire_all()
    return [db.get(Invoice, i.id).status for i in invoices]


def test_a_batch_with_a_refusal_stores_nothing_and_names_the_refusal(as_role, db, world):
    a = world.invoice  # made by finance
    assert step(as_role("provider"), a, "submit").status_code == 302
    b = second_invoice(db, world)
    single = error_at(step(as_role("finance"), a, "check"), "note-check")  # what the invoice's page says
    single = single[single.index("Vier ogen"):]
    page = text(bulk(as_role("finance"), [a, b], "check"))
    assert f"Factuur {a.number}: {single}" in page and "Niets opgeslagen: 1 van de 2" in page
    assert statuses(db, a, b) == [InvoiceStatus.SUBMITTED, InvoiceStatus.SUBMITTED]


def test_only_the_valid_ones_stores_those_and_names_the_rest(as_role, db, world):
    a = world.invoice
    assert step(as_role("provider"), a, "submit").status_code == 302
    b = second_invoice(db, world)
    page = text(bulk(as_role("finance"), [a, b], "check", only_valid=True))
    assert "1 factuur: controleren" in page and f"Factuur {a.number}: Vier ogen" in page
    assert statuses(db, a, b) == [InvoiceStatus.SUBMITTED, InvoiceStatus.CHECKED]
    # The next step, for both: b's checker (finance) may not approve it, finance3 may approve both... a is not
    # checked yet, so for a the status refuses.
    page = text(bulk(as_role("finance3"), [a, b], "approve", only_valid=True))
    assert statuses(db, a, b) == [InvoiceStatus.SUBMITTED, InvoiceStatus.APPROVED]
    assert f"Factuur {a.number}: Bij een factuur met status ingediend" in page


def test_a_provider_reaches_only_its_own_invoices_and_only_submits(as_role, db, world):
    from app.models import Provider

    a = world.invoice
    other = Provider(name="Elders", kvk_number="11223344", vat_number="NL000099998B57", iban="NL91ABNA0417164300")
    db.add(other)
    db.flush()
    b = second_invoice(db, world)
    db.get(Invoice, b.id).provider_id = other.id
    db.get(Invoice, b.id).status = InvoiceStatus.DRAFT
    db.commit()
    page = text(bulk(as_role("provider"), [a, b], "submit"))
    assert statuses(db, a, b) == [InvoiceStatus.SUBMITTED, InvoiceStatus.DRAFT]  # b is not its own: not chosen
    assert "1 factuur: indienen" in page
    assert "goedkeuren" not in text(as_role("provider").get("/facturen/")).split('id="bulk-steps"')[1]
    r = as_role("provider").post("/facturen/stappen", data={"step": "approve", "invoice": [str(a.id)]},
                                 follow_redirects=True)
    assert "Kies een stap" in text(r) and statuses(db, a) == [InvoiceStatus.SUBMITTED]


def test_nothing_chosen_or_nonsense_chosen_is_said_not_broken(as_role):
    c = as_role("finance")
    for ids in ([], ["x"], ["-1"], ["99999999999999999999"], ["\x00"]):
        r = c.post("/facturen/stappen", data={"step": "check", "invoice": ids}, follow_redirects=True)
        assert r.status_code == 200 and "Kies ten minste één factuur" in text(r)


def placed_without_evidence(as_role, db, world):
    from datetime import timedelta

    from sqlalchemy import select

    from app import clock
    from app.models import Traject
    from tests.test_trajecten import PLACEMENT, post_event, refer

    today = clock.today()
    referred = refer(as_role("klantmanager"), world.clients[1], world.contract, today - timedelta(days=10))
    assert referred.status_code == 302
    db.expire_all()
    traject = db.scalars(select(Traject).where(Traject.client_id == world.clients[1].id)).one()
    p = as_role("provider")
    for kind, day in (("accepted", today - timedelta(days=3)), ("started", today - timedelta(days=2))):
        assert post_event(p, traject, kind, day).status_code == 302
    assert post_event(p, traject, "placement", today, **PLACEMENT).status_code == 302
    return traject


def confirmed(db, traject) -> bool:
    from app.models import Traject
    from app.trajecten.services import awaiting_confirmation

    db.expire_all()
    return not awaiting_confirmation(db.get(Traject, traject.id))


def test_confirming_outcomes_in_bulk_refuses_one_without_evidence_as_its_page_does(as_role, db, world):
    bare = placed_without_evidence(as_role, db, world)
    c = as_role("klantmanager")
    page = text(c.get("/werklijst?kind=confirm_outcome&mine=1"))
    assert 'form="bulk-confirm"' in page and world.traject.reference in page and bare.reference in page
    data = {"traject": [str(world.traject.id), str(bare.id)]}
    page = text(c.post("/werklijst/bevestigen?mine=1", data=data, follow_redirects=True))
    assert f"Traject {bare.reference}: Bevestig een resultaat tegen bewijs" in page
    assert not confirmed(db, world.traject) and not confirmed(db, bare)  # nothing of the batch stored
    page = text(c.post("/werklijst/bevestigen?mine=1", data={**data, "only_valid": "y"}, follow_redirects=True))
    assert "De resultaten van 1 traject zijn bevestigd" in page
    assert confirmed(db, world.traject) and not confirmed(db, bare)


def test_another_gemeentes_traject_cannot_be_confirmed_in_bulk(as_role, db, world):
    r = as_role("klantmanager_c").post("/werklijst/bevestigen", data={"traject": [str(world.traject.id)]},
                                       follow_redirects=True)
    assert "Kies ten minste één traject" in text(r) and not confirmed(db, world.traject)


def test_clients_go_to_another_klantmanager_only_where_that_one_works(as_role, db, world, app):
    from app.models import Client, Role, User
    from tests.conftest import PASSWORD

    with app.app_context():
        from app.auth.passwords import hash_password
        hashed = hash_password(PASSWORD)

    g1 = world.gemeenten[0]
    other = User(username="klantmanager_b", full_name="Klantmanager B", email="kb@x.nl", role=Role.KLANTMANAGER,
                 gemeenten=[db.merge(g1)], password_hash=hashed)
    db.add(other)
    db.commit()
    c0, c1 = world.clients[0], world.clients[1]  # gemeente 1 and 2; B works for gemeente 1 only
    k = as_role("klantmanager")
    assert "Klantmanager B" in text(k.get("/clienten/"))
    data = {"klantmanager_id": str(other.id), "client": [str(c0.id), str(c1.id)]}
    page = text(k.post("/clienten/klantmanager", data=data, follow_redirects=True))
    assert "Achternaam1, Voornaam1: Kies een actieve klantmanager die voor de gekozen gemeente werkt" in page

    def managers():
        db.expire_all()
        return [db.get(Client, c.id).klantmanager_id for c in (c0, c1)]

    mine = world.users["klantmanager"].id
    assert managers() == [mine, mine]
    page = text(k.post("/clienten/klantmanager", data={**data, "only_valid": "y"}, follow_redirects=True))
    assert "1 cliënt heeft nu Klantmanager B als klantmanager" in page and managers() == [other.id, mine]


def test_ending_trajecten_in_bulk_refuses_a_closed_one_as_its_page_does(as_role, db, world):
    from app import clock
    from app.models import Traject
    from contracts.lifecycle import TrajectStatus
    from tests.test_trajecten import post_event

    open_one = placed_without_evidence(as_role, db, world)
    k = as_role("klantmanager")
    assert post_event(k, world.traject, "ended", clock.today(), reason="verhuisd").status_code == 302
    single = text(post_event(k, world.traject, "ended", clock.today(), reason="nogmaals"))
    data = {"traject": [str(world.traject.id), str(open_one.id)], "event_date": clock.today().strftime("%d-%m-%Y"),
            "reason": "budget op"}
    page = text(k.post("/trajecten/beeindigen", data=data, follow_redirects=True))
    refusal = page.split(f"Traject {world.traject.reference}: ", 1)[1].split("<", 1)[0]
    assert refusal and refusal in single  # the same rule's words as on the traject's page

    def status():
        db.expire_all()
        return db.get(Traject, open_one.id).status

    assert status() != TrajectStatus.ENDED
    page = text(k.post("/trajecten/beeindigen", data={**data, "only_valid": "y"}, follow_redirects=True))
    assert "1 traject is beëindigd" in page and status() == TrajectStatus.ENDED
