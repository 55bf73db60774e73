"""Demo data: three gemeenten served by one social service, five providers, a user for every role and
about 300 clients with a realistic spread of benefit, target group and phase.

All names and numbers are made up; BSNs, IBANs and VAT numbers are generated so that they pass their
checks. A fixed seed makes the demo the same on every machine, so the README can point at it.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import iban as std_iban
from stdnum.nl import bsn as std_bsn

from app import clock, projections
from app.auth.passwords import hash_password
from app.config import PROJECT_ROOT
from app.models.clients import BenefitType, Client, TargetGroup
from app.models.invoicing import Budget
from app.models.procurement import (
    AwardCriterion,
    Bid,
    BidScore,
    BidSelection,
    Contract,
    ContractStatus,
    ContractVersion,
    Lot,
    LotAward,
    Procedure,
    SelectionCriterion,
    Tender,
)
from app.models.registers import ExecutingBody, Gemeente, Provider, ProviderContact, ProviderStatus, QualityMark
from app.models.reports import PerformanceTarget
from app.models.trajecten import EventConfirmation, Traject, TrajectEvent
from app.models.users import Role, User
from app.tenders.services import award_reason, score
from app.trajecten.evidence import evidence_file
from contracts.contracting import priced_at_bid
from contracts.events import EventType, ExitReason, WorkKind
from contracts.lifecycle import AFTER_END, CLOSING_EVENTS, NEEDS_CONFIRMATION, may_record
from contracts.model import PaymentModel
from contracts.procurement import TenderStatus, standstill_end
from invoicing.status import InvoiceStatus, Step

DEMO_PASSWORD = "demo-wachtwoord-2026"  # noqa: S105  (printed in the README on purpose)

GEMEENTEN = (("Lindenhoven", "GM9001", 0.55), ("Beekstad", "GM9002", 0.30), ("Veldwijk", "GM9003", 0.15))

TARGET_GROUPS = (
    ("algemeen", "Algemeen (bijstand, 27 jaar en ouder)", 0.55),
    ("jongeren", "Jongeren tot 27 jaar", 0.15),
    ("statushouders", "Statushouders", 0.12),
    ("arbeidsbeperkt", "Mensen met een arbeidsbeperking", 0.10),
    ("55plus", "55-plussers", 0.08),
)

PROVIDERS = (
    # name, city, status, status reason, marks (name, months until expiry; negative = expired)
    ("WerkRoute Re-integratie B.V.", "Lindenhoven", ProviderStatus.ACTIVE, "", (("Blik op Werk Keurmerk", 14),)),
    ("Talentkracht Coaching", "Beekstad", ProviderStatus.ACTIVE, "", (("Blik op Werk Keurmerk", 7), ("ISO 9001", 20))),
    ("Stap Verder Jobcoaching", "Veldwijk", ProviderStatus.ACTIVE, "", (("Blik op Werk Keurmerk", -2),)),
    ("Nieuw Perspectief Werkgroep", "Lindenhoven", ProviderStatus.REFERRAL_STOP,
     "Verwijsstop na tussentijdse evaluatie: te weinig voortgangsrapportages aangeleverd.",
     (("Blik op Werk Keurmerk", 9),)),
    ("Jong & Aan de Slag", "Beekstad", ProviderStatus.ACTIVE, "", (("Blik op Werk Keurmerk", 11),)),
)

FIRST_NAMES = (
    "Anna", "Mohamed", "Sanne", "Daan", "Fatima", "Jeroen", "Lotte", "Yusuf", "Eva", "Kevin", "Noor", "Bram",
    "Samira", "Tim", "Esther", "Ahmed", "Iris", "Ricardo", "Marloes", "Dennis", "Aisha", "Jan", "Priya", "Sem",
    "Linda", "Hasan", "Romy", "Bilal", "Petra", "Tarik", "Ilse", "Nadia", "Wouter", "Selin", "Gerda", "Omar",
)
LAST_NAMES = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "El Amrani", "Visser", "Smit", "Meijer", "Yilmaz",
    "de Boer", "Mulder", "Bouali", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "Öztürk", "van Leeuwen",
    "Dekker", "Brouwer", "de Wit", "Dijkstra", "Haddou", "Kramer", "Schouten", "Pinas", "van Dijk", "Kaya",
)


def _weighted(rng: random.Random, options):
    return rng.choices(options, weights=[o[-1] for o in options])[0]


def _bsn(rng: random.Random, used: set[str]) -> str:
    while True:
        candidate = f"{rng.randint(10_000_000, 99_999_999):08d}"
        for last in range(10):
            number = candidate + str(last)
            if std_bsn.is_valid(number) and number not in used:
                used.add(number)
                return number


def _iban(rng: random.Random, bank: str) -> str:
    account = f"{rng.randint(100_000_000, 999_999_999):010d}"
    body = f"{bank}{account}"
    return f"NL{std_iban.calc_check_digits('NL00' + body)}{body}"


def phase_and_rung(rng: random.Random) -> tuple[int, int]:
    phase = rng.choices((1, 2, 3, 4), weights=(20, 35, 30, 15))[0]
    rung = {1: (4, 5), 2: (3, 4), 3: (2, 3), 4: (1, 2)}[phase]
    return phase, rng.choice(rung)


def benefit_for(rng: random.Random, age: int) -> tuple[BenefitType, Decimal]:
    if age >= 60 and rng.random() < 0.3:
        kind = rng.choice((BenefitType.IOAW, BenefitType.IOAZ))
    else:
        kind = rng.choices((BenefitType.PARTICIPATIEWET, BenefitType.NONE), weights=(88, 12))[0]
    if kind == BenefitType.NONE:
        return kind, Decimal("0.00")
    base = rng.choice((Decimal("1401.50"), Decimal("2002.14"), Decimal("1121.20")))  # single / couple / sharing
    return kind, (base - Decimal(rng.randint(0, 400))).quantize(Decimal("0.01"))


def load_demo(session: Session, seed: int = 2026, clients: int = 300) -> dict[str, int]:
    """Fill an empty database, flushed but not committed: the caller's unit of work commits it as one
    transaction (``flask demo load`` through :func:`app.uow.committed`), so a failure leaves nothing behind."""
    rng = random.Random(seed)
    today = clock.today()
    session.info["actor"] = (None, "demo")

    body = ExecutingBody(
        name="Sociale Dienst Lindenland",
        description="Gemeenschappelijke regeling die de Participatiewet uitvoert voor drie gemeenten.",
    )
    gemeenten = [Gemeente(name=name, cbs_code=code, executing_body=body, oin=f"00000001{800000000 + i * 12345:09d}000",
                          street="Raadhuisplein 1", postcode=f"{7000 + i * 11} GA", city=name)
                 for i, (name, code, _) in enumerate(GEMEENTEN)]
    groups = [TargetGroup(code=code, name=name) for code, name, _ in TARGET_GROUPS]
    session.add_all([body, *gemeenten, *groups])

    providers = []
    used_numbers: set[str] = set()
    for i, (name, city, status, reason, marks) in enumerate(PROVIDERS):
        vat_base = _bsn(rng, used_numbers)
        provider = Provider(
            name=name,
            kvk_number=f"{rng.randint(10_000_000, 99_999_999)}",
            vat_number=f"NL{vat_base}B01",
            iban=_iban(rng, ("ABNA", "INGB", "RABO", "TRIO", "ASNB")[i]),
            street=rng.choice(("Stationsweg", "Industrieweg", "Marktplein", "Havenkade")),
            house_number=str(rng.randint(1, 120)),
            postcode=f"{rng.randint(1000, 9999)} {rng.choice(('AB', 'CD', 'KL', 'TR'))}",
            city=city,
            status=status,
            status_reason=reason,
            status_since=today - timedelta(days=40) if status != ProviderStatus.ACTIVE else None,
        )
        provider.contacts.append(
            ProviderContact(
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                function="Accountmanager gemeenten",
                email=f"gemeenten@{name.split()[0].lower().replace('&', '')}.example",
                phone=f"0{rng.randint(10, 99)}-{rng.randint(1_000_000, 9_999_999)}",
            )
        )
        for mark_name, months in marks:
            provider.quality_marks.append(
                QualityMark(name=mark_name, certificate_number=f"C-{rng.randint(10000, 99999)}",
                            valid_until=today + relativedelta(months=months))
            )
        providers.append(provider)
    session.add_all(providers)

    password = hash_password(DEMO_PASSWORD)
    users = [
        User(username="admin", full_name="Ans Beheer", email="admin@lindenland.example", role=Role.ADMIN),
        User(username="inkoper", full_name="Ivo Inkoop", email="inkoop@lindenland.example", role=Role.INKOPER),
        User(username="klantmanager", full_name="Karin Klant", email="k.klant@lindenland.example",
             role=Role.KLANTMANAGER, gemeenten=gemeenten[:2]),
        User(username="klantmanager2", full_name="Kees Kompas", email="k.kompas@lindenland.example",
             role=Role.KLANTMANAGER, gemeenten=gemeenten[2:]),
        User(username="financien", full_name="Fleur Financiën", email="f.financien@lindenland.example",
             role=Role.FINANCE),
        User(username="controller", full_name="Chris Controle", email="c.controle@lindenland.example",
             role=Role.FINANCE),
        User(username="budgethouder", full_name="Bas Budget", email="b.budget@lindenland.example",
             role=Role.FINANCE),
        User(username="management", full_name="Marieke Manager", email="m.manager@lindenland.example",
             role=Role.MANAGEMENT),
        User(username="aanbieder", full_name="Ali Aanbieder", email="portaal@aanbieder.example",
             role=Role.PROVIDER, provider=providers[0]),
    ]
    for user in users:
        user.password_hash = password
    session.add_all(users)
    case_managers = {g.name: [u for u in users if g in u.gemeenten] for g in gemeenten}

    used_bsns: set[str] = set(used_numbers)
    for _ in range(clients):
        gemeente = gemeenten[[g[0] for g in GEMEENTEN].index(_weighted(rng, GEMEENTEN)[0])]
        group_code = _weighted(rng, TARGET_GROUPS)[0]
        group = next(g for g in groups if g.code == group_code)
        age = {"jongeren": rng.randint(18, 26), "55plus": rng.randint(55, 66)}.get(group_code, rng.randint(27, 54))
        benefit, amount = benefit_for(rng, age)
        phase, rung = phase_and_rung(rng)
        client = Client(
            bsn=_bsn(rng, used_bsns),
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            birth_date=today - relativedelta(years=age, days=rng.randint(0, 364)),
            gemeente=gemeente,
            benefit_type=benefit,
            monthly_benefit=amount,
            target_group=group,
            klantmanager=rng.choice(case_managers[gemeente.name]),
        )
        assessed = today - timedelta(days=rng.randint(30, 700))
        if rng.random() < 0.4:
            client.assess(min(4, phase + 1), max(1, rung - 1), assessed - timedelta(days=rng.randint(120, 400)))
        client.assess(phase, rung, assessed)
        session.add(client)

    tenders, contracts = _procurement(session, rng, today, gemeenten, groups, providers)
    tenders += _tender_past_standstill(session, today, gemeenten, groups, providers)
    session.flush()
    # The provider portal's demo user works for a provider that won a lot, so that it has trajecten.
    portal = next(u for u in users if u.role == Role.PROVIDER)
    portal.provider = session.scalars(select(Contract).where(Contract.bid_id.is_not(None))
                                      .order_by(Contract.number)).first().provider
    trajecten = _trajecten(session, rng, today, users)
    session.flush()
    invoices = _invoices(today, {u.username: u for u in users})
    _budgets(session, today, gemeenten)
    _targets(session, today, gemeenten)
    session.flush()
    return {"gemeenten": len(gemeenten), "providers": len(providers), "users": len(users), "clients": clients,
            "tenders": tenders, "contracts": contracts, "trajecten": trajecten, "invoices": invoices}


# How far the demo's monthly invoices have come, oldest month first: paid, exported, approved, checked,
# and the last month's still a draft for the provider to check.
INVOICE_PROGRESS = ((Step.SUBMIT, Step.CHECK, Step.APPROVE, Step.EXPORT, Step.PAY),
                    (Step.SUBMIT, Step.CHECK, Step.APPROVE, Step.EXPORT),
                    (Step.SUBMIT, Step.CHECK, Step.APPROVE),
                    (Step.SUBMIT, Step.CHECK),
                    ())


def _invoices(today: date, users: dict[str, User]) -> int:
    """Monthly payment runs over the last months, through the same services finance uses, with four eyes:
    financien runs, the provider (or financien) submits, controller checks, budgethouder approves (and admin
    as the second approver above the threshold)."""
    from app.db import session as app_session
    from app.invoicing.services import export, payment_run, take_step

    contracts = list(app_session.scalars(select(Contract).where(Contract.bid_id.is_not(None))
                                         .order_by(Contract.number)))
    first = today.replace(day=1) - relativedelta(months=len(INVOICE_PROGRESS))
    made = 0
    for months, steps in enumerate(INVOICE_PROGRESS):
        start = first + relativedelta(months=months)
        end = start + relativedelta(months=1) - timedelta(days=1)
        issued = end + timedelta(days=1)
        run = payment_run(contracts, (start, end), users["financien"], issued)
        made += len(run.invoices)
        for invoice in run.invoices:
            for step in steps:
                if step == Step.EXPORT:
                    export([invoice], users["financien"], issued)
                    continue
                actor = {Step.SUBMIT: "aanbieder" if invoice.provider_id == users["aanbieder"].provider_id
                         else "financien", Step.CHECK: "controller", Step.APPROVE: "budgethouder",
                         Step.PAY: "financien"}[step]
                take_step(invoice.id, step, users[actor], issued + timedelta(days=20))
                if step == Step.APPROVE and invoice.status == InvoiceStatus.CHECKED:
                    take_step(invoice.id, step, users["admin"], issued + timedelta(days=20))
    return made


def _targets(session: Session, today: date, gemeenten: list[Gemeente]) -> None:
    """This year's targets: a placement rate per gemeente (38% with 2 points' tolerance, the national norm a
    Work First audit measured against) and a number of referrals per awarded contract."""
    for gemeente in gemeenten:
        session.add(PerformanceTarget(indicator="placement_rate", year=today.year, gemeente=gemeente,
                                      target=Decimal("38"), tolerance=Decimal("2")))
    for contract in session.scalars(select(Contract).where(Contract.bid_id.is_not(None)).order_by(Contract.number)):
        session.add(PerformanceTarget(indicator="referrals", year=today.year, contract=contract,
                                      target=Decimal("25"), tolerance=Decimal("2")))


def _budgets(session: Session, today: date, gemeenten: list[Gemeente]) -> None:
    """This year's and last year's Participatiebudget per gemeente; one row as a source reported it, with a
    spent and remaining that do not add up, to show that the overview reconciles rather than trusts."""
    for gemeente, (_name, _code, share) in zip(gemeenten, GEMEENTEN, strict=True):
        base = (Decimal("400000") * Decimal(str(share))).quantize(Decimal("1000"))
        session.add(Budget(gemeente=gemeente, year=today.year, funding_source="Participatiebudget", amount=base,
                           carried_over=Decimal("0.00")))
        session.add(Budget(gemeente=gemeente, year=today.year - 1, funding_source="Participatiebudget",
                           amount=base, carried_over=Decimal("0.00"), spent_reported=base * Decimal("0.6"),
                           remaining_reported=base * Decimal("0.4") - (Decimal("1250.00") if share < 0.2 else 0),
                           note="Overgenomen uit de jaarrekening"))


def _template(stem: str) -> dict:
    return json.loads((PROJECT_ROOT / "contracts" / "templates" / f"{stem}.json").read_text(encoding="utf-8"))


def _procurement(session: Session, rng: random.Random, today: date, gemeenten, groups, providers) -> tuple[int, int]:
    """One joint tender that ran its course (two lots, scored, awarded, contracted), one in draft, and an
    older contract entered directly."""
    group = {g.code: g for g in groups}
    published = today - relativedelta(months=14)
    tender = Tender(
        reference="AB-2026-001", title="Re-integratie op resultaat Lindenland 2026",
        description="Gezamenlijke aanbesteding van re-integratietrajecten voor de drie gemeenten van Lindenland.",
        procedure=Procedure.OPEN, light_regime=True, status=TenderStatus.CONTRACTED,
        publication_date=published, questions_deadline=published + timedelta(days=21),
        closing_at=clock.to_utc(datetime.combine(published + timedelta(days=42), datetime.min.time()).replace(hour=12)),
        intended_award_date=published + timedelta(days=60), award_announced_on=published + timedelta(days=60),
        standstill_end=standstill_end(published + timedelta(days=60)), gemeenten=list(gemeenten),
    )
    tender.selection_criteria.extend([
        SelectionCriterion(name="Solvabiliteit", description="Solvabiliteitsratio van minstens 20%."),
        SelectionCriterion(name="Keurmerk", description="Een geldig Blik op Werk Keurmerk."),
    ])
    criteria = [AwardCriterion(name="Kwaliteit van de aanpak", weight=40),
                AwardCriterion(name="Resultaat en nazorg", weight=25),
                AwardCriterion(name="Prijs", weight=35, is_price=True)]
    tender.award_criteria.extend(criteria)
    lots = [
        Lot(number=1, title="Werkfit: bemiddeling naar werk", target_group=group["algemeen"], expected_volume=120,
            price_ceiling=Decimal("3000.00"), award_count=2, payment_model=_template("no_cure_less_pay_tiers"),
            description="Trajecten voor cliënten in fase 1 en 2, gericht op uitstroom naar regulier werk.",
            outcome_definitions="Uitstroom: regulier werk, contract ≥ 6 maanden en ≥ 20 uur per week."),
        Lot(number=2, title="Jongeren aan het werk", target_group=group["jongeren"], expected_volume=40,
            price_ceiling=Decimal("3500.00"), award_count=1, payment_model=_template("tranches"),
            description="Trajecten voor jongeren tot 27 jaar: werk of een opleiding met perspectief.",
            outcome_definitions="Duurzaam: zes maanden aaneengesloten aan het werk."),
    ]
    tender.lots.extend(lots)
    session.add(tender)
    session.flush()
    bidders = [p for p in providers if p.status == ProviderStatus.ACTIVE]
    evaluators = ("Ivo Inkoop", "Karin Klant")
    contracts = 0
    for lot in lots:
        for provider in bidders[: 4 if lot.number == 1 else 3]:
            bid = Bid(provider=provider, price=(lot.price_ceiling * Decimal(rng.randint(78, 98)) / 100).quantize(
                Decimal("1.00")), submitted_at=tender.closing_at - timedelta(days=rng.randint(1, 10)))
            lot.bids.append(bid)
            session.flush()
            for criterion in tender.selection_criteria:
                expired = criterion.name == "Keurmerk" and provider.expired_marks(today)
                bid.selections.append(BidSelection(criterion=criterion, passed=not expired,
                                                   note="Keurmerk verlopen" if expired else ""))
            for criterion in criteria:
                if not criterion.is_price:
                    for evaluator in evaluators:
                        bid.scores.append(BidScore(criterion=criterion, evaluator=evaluator,
                                                   score=Decimal(rng.randint(5, 9))))
        session.flush()
        ranked = score(lot)
        last_awarded = min((s.total for s in ranked if s.awarded), default=None)
        for scored in ranked:
            bid = next(b for b in lot.bids if b.id == scored.bid.id)
            reason = award_reason(scored, last_awarded)
            lot.awards.append(LotAward(bid=bid, rank=scored.rank, total_points=scored.total if scored.valid else None,
                                       awarded=scored.awarded, reason=reason,
                                       decided_at=datetime.combine(tender.award_announced_on, datetime.min.time())))
            if scored.awarded:
                contracts += 1
                start = tender.standstill_end + timedelta(days=1)
                contract = Contract(
                    number=f"C-2026-{lot.number}{contracts:02d}", title=f"{lot.title} – {bid.provider.name}",
                    provider=bid.provider, lot=lot, bid_id=bid.id, status=ContractStatus.ACTIVE,
                    start_date=start, end_date=start + relativedelta(years=2) - timedelta(days=1),
                    extension_options="2 × 1 jaar", volume_ceiling=lot.expected_volume // lot.award_count,
                    budget_ceiling=lot.price_ceiling * lot.expected_volume / lot.award_count,
                    gemeenten=list(gemeenten),
                )
                contract.versions.append(ContractVersion(number=1, effective_from=start, reason="Gunning AB-2026-001",
                                                         payment_model=priced_at_bid(lot.payment_model, bid.price),
                                                         outcome_definitions=lot.outcome_definitions))
                session.add(contract)
    draft = Tender(reference="AB-2027-001", title="Sociale activering 2027", procedure=Procedure.MULTIPLE_PRIVATE,
                   light_regime=True, status=TenderStatus.DRAFT, gemeenten=list(gemeenten[:2]),
                   publication_date=today + timedelta(days=30))
    session.add(draft)
    older = Contract(
        number="C-2024-007", title="Werkfit Veldwijk (lopend contract)", provider=providers[3],
        status=ContractStatus.REFERRAL_STOP, status_reason=providers[3].status_reason,
        start_date=today - relativedelta(months=20), end_date=today + relativedelta(months=4),
        volume_ceiling=30, budget_ceiling=Decimal("60000.00"), gemeenten=[gemeenten[2]],
    )
    older.versions.append(ContractVersion(number=1, effective_from=older.start_date, reason="Eerste versie",
                                          payment_model=_template("no_cure_no_pay_handover")))
    older.versions.append(ContractVersion(number=2, effective_from=today - relativedelta(months=8),
                                          reason="Hogere resultaatvergoeding na tussentijdse evaluatie",
                                          payment_model=_template("stay_in_work")))
    session.add(older)
    return 2, contracts + 1


# Bids on the tender past its standstill: (provider index in PROVIDERS, price, scores for quality and for results).
STANDSTILL_BIDS = ((0, Decimal("2950.00"), (8, 7)), (1, Decimal("3050.00"), (7, 8)),
                   (2, Decimal("2700.00"), (6, 6)), (4, Decimal("2890.00"), (6, 7)))


def _tender_past_standstill(session: Session, today: date, gemeenten, groups, providers) -> int:
    """A tender whose standstill period ended a few days ago, awarded but not yet contracted, so that a demo
    user can make the contract from the awarded bid and close the tender in one sitting: a tender of their own
    cannot get there before its closing moment has passed and 20 days of standstill have run."""
    announced = today - timedelta(days=25)
    published = announced - timedelta(days=50)
    tender = Tender(
        reference="AB-2026-002", title="Taal en werk voor statushouders",
        description="Trajecten die taal leren en werken combineren, voor statushouders in Lindenhoven en Beekstad.",
        procedure=Procedure.OPEN, light_regime=True, status=TenderStatus.STANDSTILL,
        publication_date=published, questions_deadline=published + timedelta(days=14),
        closing_at=datetime.combine(published + timedelta(days=35), datetime.min.time()).replace(hour=12),
        intended_award_date=announced, award_announced_on=announced, standstill_end=standstill_end(announced),
        gemeenten=list(gemeenten[:2]),
    )
    keurmerk = SelectionCriterion(name="Keurmerk", description="Een geldig Blik op Werk Keurmerk.")
    tender.selection_criteria.append(keurmerk)
    quality, results = AwardCriterion(name="Kwaliteit van de aanpak", weight=45), \
        AwardCriterion(name="Resultaat en nazorg", weight=25)
    tender.award_criteria.extend([quality, results, AwardCriterion(name="Prijs", weight=30, is_price=True)])
    lot = Lot(number=1, title="Taal en werk", target_group=next(g for g in groups if g.code == "statushouders"),
              expected_volume=30, price_ceiling=Decimal("3200.00"), award_count=1, payment_model=_template("tempo"),
              description="Werk binnen een jaar, met taallessen naast het werk.",
              outcome_definitions="Uitstroom: regulier werk van ten minste 16 uur per week.")
    tender.lots.append(lot)
    session.add(tender)
    for index, price, marks in STANDSTILL_BIDS:
        provider = providers[index]
        bid = Bid(provider=provider, price=price, submitted_at=tender.closing_at - timedelta(days=index + 1))
        lot.bids.append(bid)
        expired = bool(provider.expired_marks(today))
        bid.selections.append(BidSelection(criterion=keurmerk, passed=not expired,
                                           note="Keurmerk verlopen" if expired else ""))
        for criterion, mark in zip((quality, results), marks, strict=True):
            bid.scores.extend(BidScore(criterion=criterion, evaluator=evaluator, score=Decimal(mark))
                              for evaluator in ("Ivo Inkoop", "Karin Klant"))
    session.flush()
    ranked = score(lot)
    last_awarded = min((s.total for s in ranked if s.awarded), default=None)
    for scored in ranked:
        lot.awards.append(LotAward(bid=next(b for b in lot.bids if b.id == scored.bid.id), rank=scored.rank,
                                   total_points=scored.total if scored.valid else None, awarded=scored.awarded,
                                   reason=award_reason(scored, last_awarded),
                                   decided_at=datetime.combine(announced, datetime.min.time())))
    return 1


# --- trajecten ------------------------------------------------------------------------------------

DEMO_PDF = b"%PDF-1.4\n% demo: arbeidsovereenkomst\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
E = EventType

# How demo trajecten run: (name, weight). Each story is played forward in time from the referral and
# stops at today, so recent referrals are still waiting while older ones have results.
STORIES = (("waiting", 2), ("refused", 1), ("preparing", 2), ("no_result", 3), ("regular", 4), ("subsidised", 1),
           ("dropout", 1), ("returned", 1), ("moved", 1), ("fell_back", 1))


def _story(rng: random.Random, name: str, referral: date) -> list[tuple[int, EventType, dict]]:
    """(days after referral, type, fields) for one story."""
    answer = rng.randint(2, 9)
    if name == "waiting":
        return []
    if name == "refused":
        return [(answer, E.REFUSED, {"reason": "Geen passend aanbod voor deze cliënt"})]
    steps = [(answer, E.ACCEPTED, {}), (answer + 7, E.INTAKE, {}), (answer + 14, E.PLAN_SUBMITTED, {})]
    if name == "preparing":
        return steps
    start = answer + rng.randint(18, 28)
    steps += [(answer + 16, E.PLAN_APPROVED, {}), (start, E.STARTED, {})]
    steps += [(start + 90 * q, E.PROGRESS_REPORT, {}) for q in range(1, 5)]
    placed = start + rng.randint(30, 120)
    placement = {"employer": rng.choice(("Bakkerij De Linde", "Logistiek Oost", "Zorggroep Veld", "Gemeentewerf")),
                 "hours_per_week": Decimal(rng.choice((20, 24, 32, 36))), "contract_months": rng.choice((6, 12)),
                 "wage": Decimal(rng.randint(2100, 2900))}
    if name in ("regular", "fell_back"):
        steps.append((placed, E.PLACEMENT, {**placement, "work_kind": WorkKind.REGULAR}))
        # Confirmed a little after 3 and 6 calendar months, when a durability check is due.
        steps += [(placed + 31 * m + 3, E.STILL_EMPLOYED, {}) for m in (3, 6)]
        if name == "fell_back":
            steps = [s for s in steps if s[0] <= placed + 96]
            steps += [(placed + 100, E.PLACEMENT_ENDED, {"reason": "Proeftijd niet doorstaan"}),
                      (placed + 110, E.FALL_BACK, {})]
    elif name == "subsidised":
        steps.append((placed, E.PLACEMENT, {**placement, "work_kind": WorkKind.SUBSIDISED}))
    elif name == "dropout":
        steps.append((placed, E.DROPOUT, {"reason": "Langdurig ziek"}))
    elif name == "returned":
        steps.append((start + 20, E.RETURNED, {"reason": "Eerst schuldhulpverlening nodig"}))
    elif name == "moved":
        steps += [(placed, E.BENEFIT_EXIT, {"exit_reason": ExitReason.MOVED_AWAY}),
                  (placed + 3, E.ENDED, {"reason": "Cliënt verhuisd naar een andere gemeente"})]
    closed = min((day for day, kind, _f in steps if kind in CLOSING_EVENTS), default=None)
    return sorted((step for step in steps if closed is None or step[0] <= closed or step[1] in AFTER_END),
                  key=lambda step: step[0])


def _trajecten(session: Session, rng: random.Random, today: date, users: list[User]) -> int:
    """Refer about a third of the clients whom a contract fits, with histories that pass the lifecycle rules."""
    provider_user = next(u for u in users if u.role == Role.PROVIDER)
    contracts = list(session.scalars(select(Contract).order_by(Contract.number)))
    count = 0
    for client in session.scalars(select(Client).order_by(Client.id)):
        fitting = [c for c in contracts if client.gemeente in c.gemeenten
                   and (c.lot is None or c.lot.target_group_id == client.target_group_id)]
        if not fitting or rng.random() > 0.35:
            continue
        contract = rng.choice(fitting)
        latest = min(today, contract.end_date) if contract.status == ContractStatus.ACTIVE else \
            today - relativedelta(months=3)
        span = (latest - contract.start_date).days
        referral = contract.start_date + timedelta(days=rng.randint(0, max(span, 0)))
        version = contract.version_on(referral)
        model = PaymentModel.from_dict(version.payment_model)
        group = client.target_group.code
        traject = Traject(client=client, contract=contract, contract_version=version, provider=contract.provider,
                          gemeente=client.gemeente, client_group=group, price=model.price_for(group, None),
                          referral_date=referral, referred_by=client.klantmanager, phase_at_referral=client.phase,
                          motivation="Gemotiveerd, wil snel aan het werk." if rng.random() < 0.5 else "")
        session.add(traject)
        session.flush()
        by_provider = contract.provider_id == provider_user.provider_id
        for days, kind, fields in _story(rng, _weighted(rng, STORIES)[0], referral):
            day = referral + timedelta(days=days)
            if day > today:
                break
            if kind == E.BENEFIT_EXIT and client.benefit_type == BenefitType.NONE:
                continue  # the lifecycle refuses an exit from a benefit the client does not have
            event = TrajectEvent(type=kind, event_date=day, by_provider=by_provider and may_record(kind, True),
                                 recorded_by=client.klantmanager, **fields)
            if event.by_provider:
                event.recorded_by = provider_user
                if kind in NEEDS_CONFIRMATION:
                    event.evidence = evidence_file(DEMO_PDF, "arbeidsovereenkomst.pdf", traject.id, provider_user.id)
                    if rng.random() < 0.6:
                        event.confirmation = EventConfirmation(evidence=event.evidence,
                                                               confirmed_by=client.klantmanager)
            traject.events.append(event)
        session.flush()
        projections.keep_events(traject)
        count += 1
    return count
