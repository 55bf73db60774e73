"""Trajecten: referral filters, scope, events, corrections, confirmation against evidence, the work list."""

from __future__ import annotations

import copy
import hashlib
import html
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import AuditEntry, Contract, ContractStatus, ContractVersion, ProviderStatus
from app.models.trajecten import EventConfirmation, EvidenceFile, Traject, TrajectEvent
from app.projections import keep_actions
from contracts.events import EventType, WorkKind
from contracts.lifecycle import TrajectStatus
from tests.conftest import PDF_BYTES, TIERS_MODEL

TODAY = clock.today()


# --- helpers ---------------------------------------------------------------------------------------


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def squash(fragment: str) -> str:
    """Markup removed and white space collapsed, to compare what a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def error_at(response, field_id: str) -> str:
    """The error text shown next to a field, or "" when there is none."""
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', text(response), re.S)
    return squash(match.group(1)) if match else ""


def dmy(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def offered(response) -> set[str]:
    """The contract ids in the referral form's select (empty when the form is not shown)."""
    page = text(response)
    match = re.search(r'<select[^>]*\bid="contract_id"[^>]*>(.*?)</select>', page, re.S)
    return set(re.findall(r'<option[^>]*value="(\d+)"', match.group(1))) if match else set()


def candidates_table(response) -> str:
    page = text(response)
    section = page.split('id="contracten"', 1)[1]
    return squash(section.split("<tbody>", 1)[1].split("</tbody>", 1)[0])


def timeline_rows(response) -> list[tuple[int, str]]:
    """(event id, visible text) of every row of the events time line, in page order."""
    page = text(response)
    return [(int(i), squash(body)) for i, body in re.findall(r'<tr[^>]*id="gebeurtenis-(\d+)">(.*?)</tr>', page, re.S)]


def row_of(response, event_id: int) -> str:
    return dict(timeline_rows(response))[event_id]


def owed_total(response) -> str:
    match = re.search(r"<dt>Verschuldigd tot en met vandaag</dt><dd>(.*?)</dd>", text(response), re.S)
    assert match, "no total on the page"
    return match.group(1).strip()


def table_rows(response) -> list[str]:
    page = text(response)
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [squash(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def traject_of(db, client) -> list[Traject]:
    db.expire_all()
    return list(db.scalars(select(Traject).where(Traject.client_id == client.id).order_by(Traject.id)))


def refer(c, client, contract, day: date = TODAY, motivation: str = ""):
    return c.post(f"/clienten/{client.id}/verwijzen",
                  data={"contract_id": str(contract.id), "referral_date": day.isoformat(), "motivation": motivation})


PLACEMENT = {"employer": "Garage Beedorp", "work_kind": "regular", "hours_per_week": "24", "contract_months": "12"}


def post_event(c, traject, type_: str, day: date = TODAY, **data):
    form = {"type": type_, "event_date": dmy(day)}
    form.update(data)
    multipart = any(isinstance(v, tuple) for v in form.values())
    return c.post(f"/trajecten/{traject.id}/gebeurtenissen", data=form,
                  content_type="multipart/form-data" if multipart else None)


def events_of(db, traject) -> list[TrajectEvent]:
    db.expire_all()
    return list(db.scalars(select(TrajectEvent).where(TrajectEvent.traject_id == traject.id)
                           .order_by(TrajectEvent.id)))


def placement_of(world) -> TrajectEvent:
    found = [e for e in world.traject.events if e.type == EventType.PLACEMENT]
    assert len(found) == 1
    return found[0]


def start_of(world) -> TrajectEvent:
    return next(e for e in world.traject.events if e.type == EventType.STARTED)


def model_with_price(price: str) -> dict:
    model = copy.deepcopy(TIERS_MODEL)
    model["name"] = f"Treden {price}"
    model["base_price"] = {"default": price}
    return model


def add_version(db, world, effective_from: date, price: str) -> ContractVersion:
    version = ContractVersion(number=len(world.contract.versions) + 1, effective_from=effective_from,
                              reason="Indexering", payment_model=model_with_price(price))
    world.contract.versions.append(version)
    db.commit()
    return version


def make_contract(db, world, number: str, provider, gemeenten, status=ContractStatus.ACTIVE) -> Contract:
    """A contract entered without a tender (no lot), with one version in force."""
    contract = Contract(number=number, title=f"Contract {number}", provider=provider, status=status,
                        start_date=TODAY - timedelta(days=60), end_date=TODAY + timedelta(days=300),
                        gemeenten=gemeenten)
    contract.versions.append(ContractVersion(number=1, effective_from=contract.start_date, reason="Inkoop",
                                             payment_model=TIERS_MODEL))
    db.add(contract)
    db.commit()
    return contract


def make_traject(db, world, client, contract, referral: date, events=(), status=TrajectStatus.REFERRED,
                 is_open: bool = True) -> Traject:
    """A traject put straight into the database; ``events`` are (type, date) pairs recorded by the provider."""
    traject = Traject(client=client, contract=contract, contract_version=contract.versions[0],
                      provider=contract.provider, gemeente=client.gemeente, client_group="algemeen",
                      price=Decimal("2500.00"), referral_date=referral, status=status,
                      last_event_on=max([referral, *(d for _t, d in events)]),
                      referred_by=world.users["klantmanager"])
    for kind, day in events:
        traject.events.append(TrajectEvent(type=kind, event_date=day, recorded_by=world.users["provider"],
                                           by_provider=True))
    db.add(traject)
    db.flush()
    traject.open_lot_key = contract.lot_key if is_open else None
    keep_actions(traject)  # the work list's rows, as every service that records an event keeps them
    db.commit()
    return traject


def started_traject(db, world, client=None) -> Traject:
    """clients[1] under world.contract, accepted and started (by the provider), nothing else."""
    referral = TODAY - timedelta(days=30)
    return make_traject(db, world, client or world.clients[1], world.contract, referral,
                        events=[(EventType.ACCEPTED, referral + timedelta(days=1)),
                                (EventType.STARTED, referral + timedelta(days=3))],
                        status=TrajectStatus.STARTED)


# --- 1. which contracts a client can be referred under ---------------------------------------------


def test_referral_page_offers_the_fitting_contract(as_role, world):
    r = as_role("klantmanager").get(f"/clienten/{world.clients[1].id}/verwijzen")
    assert r.status_code == 200
    assert offered(r) == {str(world.contract.id)}
    table = candidates_table(r)
    assert "C-TEST-1 Werkfit Aastad" in table and "Werk Eerst B.V." in table
    assert "ja" in table.split() and "nee" not in table.split()


def _contract_stop(world):
    world.contract.status = ContractStatus.REFERRAL_STOP


def _provider_stop(world):
    world.contract.provider.status = ProviderStatus.REFERRAL_STOP


def _other_target_group(world):
    world.clients[1].target_group = world.target_groups[1]


def _ceiling_reached(world):
    world.contract.volume_ceiling = 1


@pytest.mark.parametrize(("change", "reason"), [
    (_contract_stop, "Het contract heeft een verwijzingsstop."),
    (_provider_stop, "De aanbieder heeft een verwijzingsstop."),
    (_other_target_group, "Het perceel is voor doelgroep Algemeen; de cliënt hoort bij Jongeren."),
    (_ceiling_reached, "Het volumeplafond van 1 trajecten is bereikt."),
], ids=["contract_stop", "provider_stop", "target_group", "volume_ceiling"])
def test_contract_not_offered_with_the_reason_shown(as_role, world, db, change, reason):
    change(world)
    db.commit()
    c = as_role("klantmanager")
    r = c.get(f"/clienten/{world.clients[1].id}/verwijzen")
    assert r.status_code == 200
    assert offered(r) == set()
    assert "geen contract waaronder deze cliënt verwezen kan worden" in text(r)
    table = candidates_table(r)
    assert "C-TEST-1" in table and "nee" in table.split()
    assert reason in table
    # Nor can it be forced by posting the id.
    r = refer(c, world.clients[1], world.contract)
    assert r.status_code == 422
    assert traject_of(db, world.clients[1]) == []


def test_client_with_an_open_traject_in_the_lot_is_not_offered_it(as_role, world):
    r = as_role("klantmanager").get(f"/clienten/{world.clients[0].id}/verwijzen")
    assert r.status_code == 200
    assert offered(r) == set()
    assert f"De cliënt heeft al een lopend traject in dit perceel ({world.traject.reference})." in candidates_table(r)


def test_refused_referral_does_not_take_a_place_under_the_ceiling(as_role, world, db):
    world.contract.volume_ceiling = 1
    world.traject.status = TrajectStatus.REFUSED
    db.commit()
    r = as_role("klantmanager").get(f"/clienten/{world.clients[1].id}/verwijzen")
    assert offered(r) == {str(world.contract.id)}


def test_gemeente_without_contract_sees_none(as_role, world):
    r = as_role("klantmanager_c").get(f"/clienten/{world.clients[2].id}/verwijzen")
    assert r.status_code == 200
    assert offered(r) == set()
    page = text(r)
    assert "Geen actief contract voor deze gemeente." in page
    assert "geen contract waaronder deze cliënt verwezen kan worden" in page
    assert world.contract.number not in page


# --- 2. the referral itself ------------------------------------------------------------------------


def test_referral_fixes_version_group_and_price(as_role, world, db):
    add_version(db, world, TODAY + timedelta(days=30), "3000.00")  # not yet in force
    version_1 = world.contract.versions[0]
    r = refer(as_role("klantmanager"), world.clients[1], world.contract, motivation="  Wil graag werken  ")
    assert r.status_code == 302
    trajecten = traject_of(db, world.clients[1])
    assert len(trajecten) == 1
    t = trajecten[0]
    assert r.headers["Location"].endswith(f"/trajecten/{t.id}")
    assert t.contract_id == world.contract.id
    assert t.contract_version_id == version_1.id
    assert t.client_group == "algemeen"
    assert t.price == Decimal("2500.00")
    assert t.status == TrajectStatus.REFERRED
    assert t.referred_by_id == world.users["klantmanager"].id
    assert t.referral_date == TODAY
    assert t.provider_id == world.contract.provider_id
    assert t.gemeente_id == world.clients[1].gemeente_id
    assert t.open_lot_key == world.contract.lot_key
    assert t.motivation == "Wil graag werken"
    page = text(as_role("klantmanager").get(f"/trajecten/{t.id}"))
    assert "versie 1 (Treden)" in page and "algemeen · € 2.500,00" in page


@pytest.mark.parametrize(("days_ago", "version", "price"), [(0, 2, "2750.00"), (10, 1, "2500.00")])
def test_referral_takes_the_version_in_force_on_the_referral_date(as_role, world, db, days_ago, version, price):
    add_version(db, world, TODAY - timedelta(days=5), "2750.00")
    r = refer(as_role("klantmanager"), world.clients[1], world.contract, TODAY - timedelta(days=days_ago))
    assert r.status_code == 302
    (t,) = traject_of(db, world.clients[1])
    assert t.contract_version.number == version
    assert t.price == Decimal(price)


def test_second_referral_of_the_same_client_is_refused(as_role, world, db):
    c = as_role("klantmanager")
    assert refer(c, world.clients[1], world.contract).status_code == 302
    r = refer(c, world.clients[1], world.contract)
    assert r.status_code == 422
    assert "al een lopend traject in dit perceel" in error_at(r, "contract_id")
    assert "al een lopend traject in dit perceel" in candidates_table(r)
    assert len(traject_of(db, world.clients[1])) == 1


def test_second_referral_error_is_shown_at_the_contract_field(as_role, world, db):
    # With another contract still on offer the form stays, and the error sits next to the select.
    other = make_contract(db, world, "C-TEST-2", world.providers[0], [world.gemeenten[1]])
    c = as_role("klantmanager")
    assert refer(c, world.clients[1], world.contract).status_code == 302
    r = refer(c, world.clients[1], world.contract)
    assert r.status_code == 422
    assert offered(r) == {str(other.id)}
    assert "al een lopend traject in dit perceel" in error_at(r, "contract_id")
    assert len(traject_of(db, world.clients[1])) == 1


def test_error_summary_links_to_the_contract_field_even_when_nothing_is_on_offer(as_role, world, db):
    """With no contract left on offer, a refused POST shows its error only in the summary, whose link
    points at #contract_id: the form (and so the field and the error next to it) is not rendered."""
    c = as_role("klantmanager")
    assert refer(c, world.clients[1], world.contract).status_code == 302
    r = refer(c, world.clients[1], world.contract)
    assert r.status_code == 422
    page = text(r)
    assert 'href="#contract_id"' in page
    assert 'id="contract_id"' in page, "the error summary links to an element that does not exist"


def test_referral_under_a_contract_not_offered_stores_nothing(as_role, world, db):
    elsewhere = make_contract(db, world, "C-CEE-1", world.providers[0], [world.gemeenten[2]])
    c = as_role("klantmanager")
    for contract_id, message in ((str(elsewhere.id), "Kies een contract uit de lijst."),
                                 ("999999", "Kies een contract uit de lijst."),
                                 ("99999999999", "Kies een waarde uit de lijst.")):  # beyond any id: app.forms
        r = c.post(f"/clienten/{world.clients[1].id}/verwijzen",
                   data={"contract_id": contract_id, "referral_date": TODAY.isoformat()})
        assert r.status_code == 422
        assert message in error_at(r, "contract_id")
    assert traject_of(db, world.clients[1]) == []


def test_referral_in_the_future_is_refused(as_role, world, db):
    r = refer(as_role("klantmanager"), world.clients[1], world.contract, TODAY + timedelta(days=1))
    assert r.status_code == 422
    assert "toekomst" in error_at(r, "referral_date")
    assert traject_of(db, world.clients[1]) == []


def test_referral_with_an_invalid_date_is_refused(as_role, world, db):
    r = as_role("klantmanager").post(f"/clienten/{world.clients[1].id}/verwijzen",
                                     data={"contract_id": str(world.contract.id), "referral_date": "31-02-2026"})
    assert r.status_code == 422
    assert "geldige datum" in error_at(r, "referral_date")
    assert traject_of(db, world.clients[1]) == []


# --- 3. who sees what ------------------------------------------------------------------------------


def test_klantmanager_cannot_refer_a_client_outside_their_gemeenten(as_role, world, db):
    c = as_role("klantmanager")
    url = f"/clienten/{world.clients[2].id}/verwijzen"
    assert c.get(url).status_code == 404
    assert c.post(url, data={"contract_id": str(world.contract.id), "referral_date": TODAY.isoformat()}
                  ).status_code == 404
    assert traject_of(db, world.clients[2]) == []


def test_klantmanager_of_another_gemeente_gets_404_on_every_traject_url(as_role, world, db):
    c = as_role("klantmanager_c")
    t = world.traject
    placement = placement_of(world)
    assert c.get(f"/trajecten/{t.id}").status_code == 404
    assert c.get(f"/trajecten/{t.id}/correctie").status_code == 404
    assert c.get(f"/trajecten/{t.id}/gebeurtenissen/{placement.id}/bevestigen").status_code == 404
    assert c.post(f"/trajecten/{t.id}/gebeurtenissen/{placement.id}/bevestigen").status_code == 404
    assert post_event(c, t, "progress_report").status_code == 404
    assert c.get(f"/clienten/{world.clients[0].id}/tijdlijn").status_code == 404
    assert world.traject.reference not in text(c.get("/trajecten/"))
    assert count(db, EventConfirmation) == 0
    assert len(events_of(db, t)) == 3


def test_provider_sees_only_its_own_trajecten(as_role, world, db):
    other_contract = make_contract(db, world, "C-STAP-1", world.providers[1], world.gemeenten[:2])
    other = make_traject(db, world, world.clients[1], other_contract, TODAY - timedelta(days=3))
    c = as_role("provider")
    listing = text(c.get("/trajecten/"))
    assert world.traject.reference in listing
    assert other.reference not in listing
    assert c.get(f"/trajecten/{other.id}").status_code == 404
    assert post_event(c, other, "accepted").status_code == 404
    assert events_of(db, other) == []
    # The other provider's klantmanager view does list both.
    listing = text(as_role("klantmanager").get("/trajecten/"))
    assert world.traject.reference in listing and other.reference in listing


def test_provider_traject_page_masks_the_bsn(as_role, world):
    r = as_role("provider").get(f"/trajecten/{world.traject.id}")
    assert r.status_code == 200
    page = text(r)
    assert '<span class="bsn">******333</span>' in page
    assert "111222333" not in page


def test_provider_may_not_refer_nor_see_clients(as_role, world):
    c = as_role("provider")
    assert c.get(f"/clienten/{world.clients[1].id}/verwijzen").status_code == 403
    assert c.get(f"/clienten/{world.clients[0].id}/tijdlijn").status_code == 403


@pytest.mark.parametrize("role", ["inkoper", "finance", "management"])
def test_roles_without_trajecten_get_403(as_role, world, role):
    c = as_role(role)
    assert c.get("/trajecten/").status_code == 403
    assert c.get("/werklijst").status_code == 403
    assert c.get(f"/trajecten/{world.traject.id}").status_code == 403


# --- 4. recording events ---------------------------------------------------------------------------


def test_provider_records_a_progress_report(as_role, world, db):
    r = post_event(as_role("provider"), world.traject, "progress_report", note="Gaat goed")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/trajecten/{world.traject.id}")
    report = events_of(db, world.traject)[-1]
    assert report.type == EventType.PROGRESS_REPORT
    assert report.event_date == TODAY
    assert report.by_provider is True
    assert report.recorded_by_id == world.users["provider"].id
    assert report.note == "Gaat goed"
    db.refresh(world.traject)
    assert world.traject.status == TrajectStatus.PLACED
    assert world.traject.last_event_on == TODAY


def test_iso_dates_are_accepted_too(as_role, world, db):
    r = post_event(as_role("klantmanager"), world.traject, "progress_report", day=TODAY)
    assert r.status_code == 302
    r = as_role("klantmanager").post(f"/trajecten/{world.traject.id}/gebeurtenissen",
                                     data={"type": "progress_report", "event_date": TODAY.isoformat()})
    assert r.status_code == 302
    reports = [e for e in events_of(db, world.traject) if e.type == EventType.PROGRESS_REPORT]
    assert len(reports) == 2 and not any(e.by_provider for e in reports)


def test_provider_may_not_record_what_the_gemeente_decides(as_role, world, db):
    c = as_role("provider")
    page = text(c.get(f"/trajecten/{world.traject.id}"))
    choices = re.search(r'<select[^>]*\bid="type"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert 'value="progress_report"' in choices
    for gemeente_only in ("plan_approved", "fall_back", "correction"):
        assert f'value="{gemeente_only}"' not in choices
    r = post_event(c, world.traject, "plan_approved")
    assert r.status_code == 422
    assert "Kies een gebeurtenis uit de lijst." in error_at(r, "type")
    assert len(events_of(db, world.traject)) == 3


def test_placement_before_the_start_is_refused(as_role, world, db):
    before_start = start_of(world).event_date - timedelta(days=2)
    r = post_event(as_role("provider"), world.traject, "placement", before_start, **PLACEMENT)
    assert r.status_code == 422
    message = error_at(r, "type")
    assert "niet gestart" in message or "vóór" in message
    assert len(events_of(db, world.traject)) == 3


def test_event_before_the_referral_is_refused(as_role, world, db):
    r = post_event(as_role("klantmanager"), world.traject, "intake", world.traject.referral_date - timedelta(days=1))
    assert r.status_code == 422
    assert "vóór de verwijzing" in error_at(r, "type")
    assert len(events_of(db, world.traject)) == 3


def test_event_in_the_future_is_refused(as_role, world, db):
    r = post_event(as_role("provider"), world.traject, "progress_report", TODAY + timedelta(days=1))
    assert r.status_code == 422
    assert "toekomst" in error_at(r, "type")
    assert len(events_of(db, world.traject)) == 3


def test_placement_needs_an_employer(as_role, world, db):
    traject = started_traject(db, world)
    r = post_event(as_role("provider"), traject, "placement", **{**PLACEMENT, "employer": ""})
    assert r.status_code == 422
    assert "Vul dit in voor deze gebeurtenis." in error_at(r, "employer")
    assert error_at(r, "hours_per_week") == ""
    assert len(events_of(db, traject)) == 2


def test_placement_needs_a_duration_unless_open_ended(as_role, world, db):
    traject = started_traject(db, world)
    c = as_role("provider")
    r = post_event(c, traject, "placement", **{**PLACEMENT, "contract_months": ""})
    assert r.status_code == 422
    assert "Vul dit in" in error_at(r, "contract_months")
    r = post_event(c, traject, "placement", **{**PLACEMENT, "contract_months": "", "open_ended": "y"})
    assert r.status_code == 302
    placement = events_of(db, traject)[-1]
    assert placement.type == EventType.PLACEMENT and placement.open_ended is True
    assert placement.work_kind == WorkKind.REGULAR and placement.hours_per_week == Decimal("24")
    db.refresh(traject)
    assert traject.status == TrajectStatus.PLACED


def test_benefit_exit_needs_an_exit_reason(as_role, world, db):
    c = as_role("klantmanager")
    r = post_event(c, world.traject, "benefit_exit", exit_reason="")
    assert r.status_code == 422
    assert "Vul dit in voor deze gebeurtenis." in error_at(r, "exit_reason")
    assert len(events_of(db, world.traject)) == 3
    r = post_event(c, world.traject, "benefit_exit", exit_reason="work")
    assert r.status_code == 302
    assert events_of(db, world.traject)[-1].type == EventType.BENEFIT_EXIT


def test_ending_needs_a_reason(as_role, world, db):
    r = post_event(as_role("klantmanager"), world.traject, "ended")
    assert r.status_code == 422
    assert "Vul dit in" in error_at(r, "reason")
    assert len(events_of(db, world.traject)) == 3


def test_after_the_end_only_outcomes_are_recorded(as_role, world, db):
    km = as_role("klantmanager")
    # Ended yesterday: a report dated the same day as the end would sort before it (canonical order).
    r = post_event(km, world.traject, "ended", TODAY - timedelta(days=1), reason="Doel bereikt")
    assert r.status_code == 302
    db.refresh(world.traject)
    assert world.traject.status == TrajectStatus.ENDED
    assert world.traject.open_lot_key is None
    r = post_event(as_role("provider"), world.traject, "progress_report")
    assert r.status_code == 422
    assert "beëindigd" in error_at(r, "type")
    r = post_event(km, world.traject, "fall_back")
    assert r.status_code == 302
    kinds = [e.type for e in events_of(db, world.traject)]
    assert kinds[-2:] == [EventType.ENDED, EventType.FALL_BACK]
    db.refresh(world.traject)
    assert world.traject.status == TrajectStatus.ENDED
    # Closed, the traject no longer blocks a new referral in the lot.
    assert offered(km.get(f"/clienten/{world.clients[0].id}/verwijzen")) == {str(world.contract.id)}


# --- 5. corrections --------------------------------------------------------------------------------


def test_correction_page_lists_the_standing_events(as_role, world):
    r = as_role("klantmanager").get(f"/trajecten/{world.traject.id}/correctie")
    assert r.status_code == 200
    options = dict(re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>',
                              text(r).split('id="revokes_id"', 1)[1].split("</select>", 1)[0]))
    assert options == {str(e.id): f"{dmy(e.event_date)} {label}" for e, label in zip(
        world.traject.events, ("geaccepteerd door de aanbieder", "gestart", "plaatsing"), strict=True)}


def test_revoking_the_placement(as_role, world, db):
    placement = placement_of(world)
    c = as_role("klantmanager")
    r = c.post(f"/trajecten/{world.traject.id}/correctie",
               data={"revokes_id": str(placement.id), "event_date": dmy(TODAY), "reason": "Verkeerde cliënt"})
    assert r.status_code == 302
    correction = events_of(db, world.traject)[-1]
    assert correction.type == EventType.CORRECTION and correction.revokes_id == placement.id
    assert correction.reason == "Verkeerde cliënt"
    db.refresh(world.traject)
    assert world.traject.status == TrajectStatus.STARTED
    r = c.get(f"/trajecten/{world.traject.id}")
    row = row_of(r, placement.id)
    assert "gecorrigeerd" in row
    assert "wacht op bevestiging" not in row
    assert f'class="revoked" id="gebeurtenis-{placement.id}"' in text(r)
    assert "trekt in: plaatsing van " + dmy(placement.event_date) in row_of(r, correction.id)
    assert owed_total(r) == "€ 1.750,00"
    # A revoked placement is gone from the choices and can no longer be confirmed.
    page = text(c.get(f"/trajecten/{world.traject.id}/correctie"))
    assert f'value="{placement.id}"' not in page
    r = c.post(f"/trajecten/{world.traject.id}/gebeurtenissen/{placement.id}/bevestigen")
    assert r.status_code == 422
    assert "gecorrigeerd" in error_at(r, "evidence")
    assert count(db, EventConfirmation) == 0


def test_revoked_unconfirmed_placement_shows_no_pending_amounts(as_role, world, db):
    """A provider's placement that was revoked before anyone confirmed it can never be confirmed (the
    confirm service refuses it), yet money() still counts it as pending: its row says "Na bevestiging:
    € 750,00" and the correction's row "Na bevestiging: € -750,00"."""
    placement = placement_of(world)
    c = as_role("klantmanager")
    c.post(f"/trajecten/{world.traject.id}/correctie",
           data={"revokes_id": str(placement.id), "event_date": dmy(TODAY), "reason": "Verkeerde cliënt"})
    correction = events_of(db, world.traject)[-1]
    assert correction.type == EventType.CORRECTION
    r = c.get(f"/trajecten/{world.traject.id}")
    assert "Na bevestiging" not in row_of(r, placement.id)
    assert "Na bevestiging" not in row_of(r, correction.id)


def test_revoking_the_start_while_the_placement_stands_is_refused(as_role, world, db):
    r = as_role("klantmanager").post(
        f"/trajecten/{world.traject.id}/correctie",
        data={"revokes_id": str(start_of(world).id), "event_date": dmy(TODAY), "reason": "Nooit begonnen"})
    assert r.status_code == 422
    assert "Corrigeer eerst" in error_at(r, "revokes_id")
    assert len(events_of(db, world.traject)) == 3
    db.refresh(world.traject)
    assert world.traject.status == TrajectStatus.PLACED


def test_correction_needs_a_reason_and_a_date_not_before_the_event(as_role, world, db):
    placement = placement_of(world)
    c = as_role("klantmanager")
    url = f"/trajecten/{world.traject.id}/correctie"
    r = c.post(url, data={"revokes_id": str(placement.id), "event_date": dmy(TODAY), "reason": ""})
    assert r.status_code == 422 and error_at(r, "reason")
    r = c.post(url, data={"revokes_id": str(placement.id), "reason": "fout",
                          "event_date": dmy(placement.event_date - timedelta(days=1))})
    assert r.status_code == 422
    assert "niet eerder gedateerd" in error_at(r, "revokes_id")
    assert len(events_of(db, world.traject)) == 3


def test_provider_may_not_correct(as_role, world, db):
    c = as_role("provider")
    url = f"/trajecten/{world.traject.id}/correctie"
    assert c.get(url).status_code == 403
    r = c.post(url, data={"revokes_id": str(placement_of(world).id), "event_date": dmy(TODAY), "reason": "x"})
    assert r.status_code == 403
    r = post_event(c, world.traject, "correction", reason="x")
    assert r.status_code == 422
    assert len(events_of(db, world.traject)) == 3


# --- 6. confirmation and money ---------------------------------------------------------------------


def test_unconfirmed_placement_waits_and_does_not_count(as_role, world):
    r = as_role("klantmanager").get(f"/trajecten/{world.traject.id}")
    assert r.status_code == 200
    assert owed_total(r) == "€ 1.750,00"
    row = row_of(r, placement_of(world).id)
    assert "wacht op bevestiging" in row
    assert "Na bevestiging: € 750,00" in row
    assert "€ 1.750,00 70% van € 2.500,00" in row_of(r, start_of(world).id)
    assert f"/trajecten/{world.traject.id}/gebeurtenissen/{placement_of(world).id}/bevestigen" in text(r)
    # The provider sees it waiting too, without the link to confirm.
    r = as_role("provider").get(f"/trajecten/{world.traject.id}")
    assert "wacht op bevestiging" in row_of(r, placement_of(world).id)
    assert "/bevestigen" not in text(r)


def test_confirming_against_the_providers_evidence(as_role, world, db):
    placement = placement_of(world)
    c = as_role("klantmanager")
    url = f"/trajecten/{world.traject.id}/gebeurtenissen/{placement.id}/bevestigen"
    page = text(c.get(url))
    assert "arbeidsovereenkomst.pdf" in page and "Optioneel" in page
    r = c.post(url, data={"note": "Contract gezien"}, content_type="multipart/form-data")
    assert r.status_code == 302
    db.expire_all()
    confirmation = db.scalar(select(EventConfirmation).where(EventConfirmation.event_id == placement.id))
    assert confirmation is not None
    assert confirmation.evidence_id == placement.evidence_id
    assert confirmation.confirmed_by_id == world.users["klantmanager"].id
    assert confirmation.note == "Contract gezien"
    r = c.get(f"/trajecten/{world.traject.id}")
    assert owed_total(r) == "€ 2.500,00"
    row = row_of(r, placement.id)
    assert "bevestigd" in row and "wacht op bevestiging" not in row and "Na bevestiging" not in row
    assert "€ 750,00 100% van € 2.500,00" in row
    # Again: nothing left to confirm.
    r = c.post(url, data={}, content_type="multipart/form-data")
    assert r.status_code == 422
    assert "hoeft niet (meer) bevestigd" in text(r)
    assert count(db, EventConfirmation) == 1


def test_provider_may_not_confirm(as_role, world, db):
    url = f"/trajecten/{world.traject.id}/gebeurtenissen/{placement_of(world).id}/bevestigen"
    c = as_role("provider")
    assert c.get(url).status_code == 403
    assert c.post(url).status_code == 403
    assert count(db, EventConfirmation) == 0


def test_own_events_of_the_gemeente_need_no_confirmation(as_role, world, db):
    traject = started_traject(db, world)
    c = as_role("klantmanager")
    assert post_event(c, traject, "placement", **PLACEMENT).status_code == 302
    placement = events_of(db, traject)[-1]
    assert placement.by_provider is False
    r = c.get(f"/trajecten/{traject.id}")
    assert owed_total(r) == "€ 2.500,00"
    assert "wacht op bevestiging" not in row_of(r, placement.id)
    r = c.post(f"/trajecten/{traject.id}/gebeurtenissen/{placement.id}/bevestigen")
    assert r.status_code == 422


def test_placement_without_evidence_is_confirmed_only_with_an_upload(as_role, world, db):
    traject = started_traject(db, world)
    assert post_event(as_role("provider"), traject, "placement", **PLACEMENT).status_code == 302
    placement = events_of(db, traject)[-1]
    assert placement.by_provider is True and placement.evidence_id is None
    c = as_role("klantmanager")
    url = f"/trajecten/{traject.id}/gebeurtenissen/{placement.id}/bevestigen"
    assert owed_total(c.get(f"/trajecten/{traject.id}")) == "€ 1.750,00"
    r = c.post(url, data={"note": ""}, content_type="multipart/form-data")
    assert r.status_code == 422
    assert "voeg een bestand toe" in error_at(r, "evidence")
    assert count(db, EventConfirmation) == 0
    r = c.post(url, data={"evidence": (io.BytesIO(PDF_BYTES), "contract.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 302
    db.expire_all()
    confirmation = db.scalar(select(EventConfirmation).where(EventConfirmation.event_id == placement.id))
    assert confirmation is not None
    assert confirmation.evidence.filename == "contract.pdf"
    assert confirmation.evidence.traject_id == traject.id
    assert owed_total(c.get(f"/trajecten/{traject.id}")) == "€ 2.500,00"


def test_confirming_with_an_invalid_file_is_refused(as_role, world, db):
    c = as_role("klantmanager")
    url = f"/trajecten/{world.traject.id}/gebeurtenissen/{placement_of(world).id}/bevestigen"
    r = c.post(url, data={"evidence": (io.BytesIO(b"gewoon tekst"), "contract.pdf")},
               content_type="multipart/form-data")
    assert r.status_code == 422
    assert "Alleen PDF, PNG of JPEG" in error_at(r, "evidence")
    assert count(db, EventConfirmation) == 0


def test_confirming_an_unknown_event_is_404(as_role, world):
    c = as_role("klantmanager")
    assert c.get(f"/trajecten/{world.traject.id}/gebeurtenissen/999999/bevestigen").status_code == 404


# --- 7. evidence -----------------------------------------------------------------------------------


def test_text_file_named_pdf_is_refused(as_role, world, db):
    files_before = count(db, EvidenceFile)
    r = post_event(as_role("provider"), world.traject, "progress_report",
                   evidence=(io.BytesIO(b"Dit is geen PDF."), "x.pdf"))
    assert r.status_code == 422
    assert "Alleen PDF, PNG of JPEG" in error_at(r, "evidence")
    assert len(events_of(db, world.traject)) == 3
    assert count(db, EvidenceFile) == files_before


def test_content_that_does_not_match_the_extension_is_refused(as_role, world, db):
    r = post_event(as_role("provider"), world.traject, "progress_report",
                   evidence=(io.BytesIO(PDF_BYTES), "loonstrook.png"))
    assert r.status_code == 422
    assert "past niet bij de extensie .png" in error_at(r, "evidence")
    assert len(events_of(db, world.traject)) == 3


def test_evidence_sent_without_a_file_name_is_refused_not_dropped(as_role, world, db):
    """A file part with content but no name used to vanish while the event was saved without its evidence."""
    files_before = count(db, EvidenceFile)
    r = post_event(as_role("provider"), world.traject, "progress_report", evidence=(io.BytesIO(PDF_BYTES), ""))
    assert r.status_code == 422
    assert "zonder naam" in error_at(r, "evidence")
    assert len(events_of(db, world.traject)) == 3
    assert count(db, EvidenceFile) == files_before


def test_confirming_against_a_file_without_a_name_is_refused_at_the_file(as_role, world, db):
    c = as_role("klantmanager")
    url = f"/trajecten/{world.traject.id}/gebeurtenissen/{placement_of(world).id}/bevestigen"
    r = c.post(url, data={"evidence": (io.BytesIO(PDF_BYTES), "")}, content_type="multipart/form-data")
    assert r.status_code == 422
    assert "zonder naam" in error_at(r, "evidence")
    assert count(db, EventConfirmation) == 0


def test_no_file_chosen_is_no_evidence_and_no_error(as_role, world, db):
    """What a browser sends when no file was chosen: a file part without a name and without content."""
    files_before = count(db, EvidenceFile)
    r = post_event(as_role("provider"), world.traject, "progress_report", evidence=(io.BytesIO(b""), ""))
    assert r.status_code == 302
    assert events_of(db, world.traject)[-1].evidence_id is None
    assert count(db, EvidenceFile) == files_before


def test_too_large_file_is_refused(app, as_role, world, db):
    app.config["EVIDENCE_MAX_BYTES"] = 100
    files_before = count(db, EvidenceFile)
    big = PDF_BYTES + b"%" + b"x" * 200 + b"\n"
    r = post_event(as_role("provider"), world.traject, "progress_report", evidence=(io.BytesIO(big), "groot.pdf"))
    assert r.status_code == 422
    assert "groter dan" in error_at(r, "evidence")
    assert len(events_of(db, world.traject)) == 3
    assert count(db, EvidenceFile) == files_before


def test_valid_evidence_is_stored_outside_the_web_root_and_served_with_an_audit_entry(app, as_role, world, db):
    content = PDF_BYTES + b"% rapportage november\n"
    digest = hashlib.sha256(content).hexdigest()
    r = post_event(as_role("provider"), world.traject, "progress_report",
                   evidence=(io.BytesIO(content), "rapportage.pdf"))
    assert r.status_code == 302
    report = events_of(db, world.traject)[-1]
    assert report.type == EventType.PROGRESS_REPORT
    stored = report.evidence
    assert stored is not None
    assert (stored.sha256, stored.size, stored.media_type, stored.filename) == (
        digest, len(content), "application/pdf", "rapportage.pdf")
    assert stored.uploaded_by_id == world.users["provider"].id
    path = Path(app.config["EVIDENCE_DIR"]) / digest
    assert path.read_bytes() == content
    assert not path.resolve().is_relative_to(Path(app.root_path, "static").resolve())
    assert not path.resolve().is_relative_to(Path(app.root_path).resolve())

    c = as_role("klantmanager")
    url = f"/trajecten/{world.traject.id}/bewijs/{stored.id}"
    assert url in text(c.get(f"/trajecten/{world.traject.id}"))
    views = count(db, AuditEntry, AuditEntry.action == "view_evidence")
    r = c.get(url)
    assert r.status_code == 200
    assert r.get_data() == content
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert "rapportage.pdf" in r.headers["Content-Disposition"]
    r.close()
    db.expire_all()
    entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "view_evidence")
                              .order_by(AuditEntry.id)))
    assert len(entries) == views + 1
    entry = entries[-1]
    assert (entry.entity_type, entry.entity_id) == ("traject", world.traject.id)
    assert entry.actor_id == world.users["klantmanager"].id
    assert entry.changes["evidence"] == stored.id

    assert as_role("klantmanager_c").get(url).status_code == 404
    db.expire_all()
    assert count(db, AuditEntry, AuditEntry.action == "view_evidence") == views + 1


def test_evidence_of_another_traject_is_not_served_through_this_one(as_role, world, db):
    traject = started_traject(db, world)
    evidence_id = placement_of(world).evidence_id
    c = as_role("klantmanager")
    assert c.get(f"/trajecten/{traject.id}/bewijs/{evidence_id}").status_code == 404
    assert c.get(f"/trajecten/{world.traject.id}/bewijs/999999").status_code == 404
    r = as_role("provider").get(f"/trajecten/{world.traject.id}/bewijs/{evidence_id}")
    assert r.status_code == 200 and r.get_data() == PDF_BYTES
    r.close()


# --- 8. the work list and the caseload -------------------------------------------------------------


def _worklist_rows(response, reference: str) -> list[str]:
    return [row for row in table_rows(response) if reference in row]


def test_unanswered_referral_appears_on_the_work_list(as_role, world, db):
    c = as_role("klantmanager")
    assert refer(c, world.clients[1], world.contract, TODAY - timedelta(days=15)).status_code == 302
    (traject,) = traject_of(db, world.clients[1])
    ref = traject.reference

    rows = _worklist_rows(c.get("/werklijst"), ref)
    assert len(rows) == 1
    assert "verwijzing niet beantwoord" in rows[0]
    assert dmy(TODAY - timedelta(days=5)) in rows[0]  # due ten days after the referral
    assert _worklist_rows(c.get("/werklijst?kind=answer_referral"), ref)
    answer_only = c.get("/werklijst?kind=answer_referral")
    assert world.traject.reference not in squash(text(answer_only).split("<tbody>", 1)[1])
    assert _worklist_rows(c.get("/werklijst?kind=parked"), ref) == []
    # The other klantmanager's list doesn't have it.
    assert _worklist_rows(as_role("klantmanager_c").get("/werklijst?mine=0"), ref) == []

    assert _worklist_rows(c.get("/trajecten/?status=referred"), ref)
    assert world.traject.reference not in "".join(table_rows(c.get("/trajecten/?status=referred")))
    assert _worklist_rows(c.get("/trajecten/?status=ended"), ref) == []
    assert _worklist_rows(c.get("/trajecten/?state=open"), ref)

    # Once the provider answers, the signal is gone.
    assert post_event(as_role("provider"), traject, "accepted").status_code == 302
    assert _worklist_rows(c.get("/werklijst?kind=answer_referral"), ref) == []


def test_recent_referral_is_not_yet_a_signal(as_role, world, db):
    c = as_role("klantmanager")
    assert refer(c, world.clients[1], world.contract, TODAY - timedelta(days=5)).status_code == 302
    (traject,) = traject_of(db, world.clients[1])
    assert _worklist_rows(c.get("/werklijst"), traject.reference) == []
    assert _worklist_rows(c.get("/trajecten/?status=referred"), traject.reference)


def test_unconfirmed_placement_is_a_signal(as_role, world):
    c = as_role("klantmanager")
    rows = _worklist_rows(c.get("/werklijst?kind=confirm_outcome"), world.traject.reference)
    assert len(rows) == 1 and "resultaat wacht op bevestiging" in rows[0]


def test_parked_traject_is_a_signal(as_role, world, db):
    make_traject(db, world, world.clients[1], world.contract, TODAY - timedelta(days=70),
                 events=[(EventType.ACCEPTED, TODAY - timedelta(days=65))], status=TrajectStatus.ACCEPTED)
    (traject,) = traject_of(db, world.clients[1])
    c = as_role("klantmanager")
    rows = _worklist_rows(c.get("/werklijst?kind=parked"), traject.reference)
    assert len(rows) == 1 and "geen activiteit (geparkeerd)" in rows[0]
    assert _worklist_rows(c.get("/werklijst?kind=answer_referral"), traject.reference) == []


# --- 9. the client's time line ---------------------------------------------------------------------


def test_client_timeline_lists_events_in_date_order_with_what_they_made_owed(as_role, world, db):
    c = as_role("klantmanager")
    intake_day = world.traject.referral_date + timedelta(days=5)  # between acceptance and start, typed in last
    assert post_event(c, world.traject, "intake", intake_day).status_code == 302
    intake = events_of(db, world.traject)[-1]
    r = c.get(f"/clienten/{world.clients[0].id}/tijdlijn")
    assert r.status_code == 200
    rows = timeline_rows(r)
    accepted, started, placement = world.traject.events[0], start_of(world), placement_of(world)
    assert [i for i, _row in rows] == [accepted.id, intake.id, started.id, placement.id]
    dates = [date(*reversed([int(p) for p in row.split()[0].split("-")])) for _i, row in rows]
    assert dates == sorted(dates)
    by_id = dict(rows)
    assert by_id[started.id].startswith(dmy(started.event_date))
    assert "gestart" in by_id[started.id] and "€ 1.750,00" in by_id[started.id]
    assert "€" not in by_id[accepted.id] and "€" not in by_id[intake.id]
    assert world.traject.reference in by_id[placement.id] and "wacht op bevestiging" in by_id[placement.id]
    summary = table_rows(r)[0]
    assert world.traject.reference in summary and "geplaatst" in summary and "€ 1.750,00" in summary


def test_client_without_trajecten_has_an_empty_timeline(as_role, world):
    r = as_role("klantmanager").get(f"/clienten/{world.clients[1].id}/tijdlijn")
    assert r.status_code == 200
    page = text(r)
    assert "Deze cliënt is nog niet verwezen." in page
    assert "Nog geen gebeurtenissen." in page


def test_the_service_refuses_an_event_without_its_required_details(app, world):
    # Below the form and the import: a caller that forgets the employer gets a refusal at that field.
    from app.db import session
    from app.models import User
    from app.trajecten.services import EventInput, TrajectError, record_event

    with app.app_context():
        traject = session.get(Traject, world.traject.id)
        user = session.get(User, world.users["klantmanager"].id)
        count = len(traject.events)
        data = EventInput(type=EventType.PLACEMENT_ENDED, event_date=clock.today(), reason="Einde proeftijd")
        record_event(traject, data, user, clock.today())
        data = EventInput(type=EventType.PLACEMENT, event_date=clock.today(), hours_per_week=Decimal("20"),
                          work_kind=WorkKind.REGULAR, contract_months=6)
        with pytest.raises(TrajectError) as refused:
            record_event(traject, data, user, clock.today())
        assert refused.value.field == "employer"
        assert len(traject.events) == count + 1
        session.rollback()


def test_an_exit_from_benefit_is_refused_for_a_client_without_benefit(as_role, world, db):
    """A client without benefit cannot leave it: the report would count months saved and € 0 saved."""
    from app.models import BenefitType

    world.clients[0].benefit_type, world.clients[0].monthly_benefit = BenefitType.NONE, Decimal("0.00")
    db.commit()
    r = post_event(as_role("klantmanager"), world.traject, "benefit_exit", exit_reason="work")
    assert r.status_code == 422
    assert "geen uitkering" in error_at(r, "type")
    assert [e.type for e in events_of(db, world.traject)] == [EventType.ACCEPTED, EventType.STARTED,
                                                             EventType.PLACEMENT]


def test_the_service_refuses_an_exit_from_benefit_for_a_client_without_benefit(app, world, db):
    from app.db import session
    from app.models import BenefitType, User
    from app.trajecten.services import EventInput, TrajectError, record_event
    from contracts.events import ExitReason

    world.clients[0].benefit_type, world.clients[0].monthly_benefit = BenefitType.NONE, Decimal("0.00")
    db.commit()
    with app.test_request_context():
        traject = session.get(Traject, world.traject.id)
        user = session.get(User, world.users["klantmanager"].id)
        with pytest.raises(TrajectError) as refused:
            record_event(traject, EventInput(type=EventType.BENEFIT_EXIT, event_date=TODAY,
                                             exit_reason=ExitReason.WORK), user, TODAY)
        session.rollback()
    assert refused.value.field == "type"
    assert "geen uitkering" in refused.value.message


@pytest.mark.parametrize(("hours", "stored"), [("32,5", Decimal("32.5")), ("32.5", Decimal("32.5")),
                                               ("24", Decimal("24"))])
def test_hours_of_a_placement_are_read_as_typed_with_a_comma_or_a_point(as_role, db, world, hours, stored):
    traject = started_traject(db, world)
    r = post_event(as_role("klantmanager"), traject, "placement", **{**PLACEMENT, "hours_per_week": hours})
    assert r.status_code == 302, error_at(r, "hours_per_week")
    assert events_of(db, traject)[-1].hours_per_week == stored


def test_hours_that_are_no_number_are_refused_at_the_field(as_role, db, world):
    traject = started_traject(db, world)
    r = post_event(as_role("klantmanager"), traject, "placement", **{**PLACEMENT, "hours_per_week": "32,5,1"})
    assert r.status_code == 422
    shown = error_at(r, "hours_per_week")
    assert "Vul een getal in, bijvoorbeeld 32 of 32,5." in shown and "0 tot en met 80" not in shown
