"""A tender, its lots, awards and contracts as an Open Contracting Data Standard 1.1 release package.

Mapping (documented in docs/procurement.md): the tender's procedure to OCDS ``procurementMethod``
(open → open, niet-openbaar → selective, meervoudig onderhands → limited, enkelvoudig onderhands →
direct), its status to ``tender.status``, every awarded bid to an award (pending during the standstill,
active once contracted), every contract from the tender to a contract. Lots use the OCDS lots
extension. The ocid prefix comes from the configuration (``OCDS_PREFIX``): a publisher registers its own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from flask import current_app, url_for
from sqlalchemy import select

from app.db import session
from app.models.procurement import Contract, ContractStatus, Procedure, Tender
from contracts.procurement import TenderStatus

LOTS_EXTENSION = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json"

METHODS = {
    Procedure.OPEN: "open",
    Procedure.RESTRICTED: "selective",
    Procedure.MULTIPLE_PRIVATE: "limited",
    Procedure.SINGLE_PRIVATE: "direct",
}
METHOD_DETAILS = {
    Procedure.OPEN: "Openbare procedure",
    Procedure.RESTRICTED: "Niet-openbare procedure",
    Procedure.MULTIPLE_PRIVATE: "Meervoudig onderhandse procedure",
    Procedure.SINGLE_PRIVATE: "Enkelvoudig onderhandse procedure",
}
TENDER_STATUS = {
    TenderStatus.DRAFT: "planning",
    TenderStatus.PUBLISHED: "active",
    TenderStatus.CLOSED: "active",
    TenderStatus.EVALUATED: "active",
    TenderStatus.AWARD_ANNOUNCED: "active",
    TenderStatus.STANDSTILL: "active",
    TenderStatus.CONTRACTED: "complete",
    TenderStatus.CANCELLED: "cancelled",
}
AWARD_STATUS = {TenderStatus.CONTRACTED: "active", TenderStatus.CANCELLED: "cancelled"}
CONTRACT_STATUS = {
    ContractStatus.DRAFT: "pending",
    ContractStatus.ACTIVE: "active",
    ContractStatus.REFERRAL_STOP: "active",
    ContractStatus.ENDED: "terminated",
}


def _stamp(value: date | datetime | None) -> str | None:
    """OCDS dates are date-times with a zone; a plain date means the start of that day (UTC)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.combine(value, time.min)
    return moment.replace(tzinfo=moment.tzinfo or UTC).isoformat()


def _period(start: date | datetime | None, end: date | datetime | None) -> dict[str, str]:
    return {k: v for k, v in (("startDate", _stamp(start)), ("endDate", _stamp(end))) if v}


def _value(amount: Decimal | None) -> dict[str, Any] | None:
    return {"amount": float(amount), "currency": "EUR"} if amount is not None else None


def _org_id(provider) -> str:
    return f"NL-KVK-{provider.kvk_number}"


def _clean(data: dict) -> dict:
    return {k: v for k, v in data.items() if v not in (None, [], {}, "")}


def release_package(tender: Tender) -> dict[str, Any]:
    prefix = current_app.config.get("OCDS_PREFIX", "ocds-000000")
    ocid = f"{prefix}-{tender.reference}"
    parties: dict[str, dict] = {}
    for gemeente in tender.gemeenten:
        parties[gemeente.cbs_code] = {"id": gemeente.cbs_code, "name": f"Gemeente {gemeente.name}",
                                      "identifier": {"scheme": "NL-CBS-GM", "id": gemeente.cbs_code},
                                      "roles": ["buyer", "procuringEntity"]}
    tenderers: dict[str, dict] = {}
    awards: list[dict] = []
    for lot in tender.lots:
        for bid in lot.bids:
            oid = _org_id(bid.provider)
            tenderers[oid] = {"id": oid, "name": bid.provider.name}
            parties.setdefault(oid, {"id": oid, "name": bid.provider.name,
                                     "identifier": {"scheme": "NL-KVK", "id": bid.provider.kvk_number,
                                                    "legalName": bid.provider.name},
                                     "roles": []})
            if "tenderer" not in parties[oid]["roles"]:
                parties[oid]["roles"].append("tenderer")
        for award in lot.awards:
            if not award.awarded:
                continue
            oid = _org_id(award.bid.provider)
            if "supplier" not in parties[oid]["roles"]:
                parties[oid]["roles"].append("supplier")
            status = AWARD_STATUS.get(tender.status, "pending")
            awards.append(_clean({
                "id": f"{lot.number}-{award.bid_id}", "title": f"{lot} – {award.bid.provider.name}",
                "description": award.reason, "status": status, "date": _stamp(award.decided_at),
                "value": _value(award.bid.price), "suppliers": [{"id": oid, "name": award.bid.provider.name}],
                "relatedLots": [str(lot.number)],
            }))
    awarded_bids = [a.bid_id for lot in tender.lots for a in lot.awards if a.awarded]
    contracts = session.scalars(
        select(Contract).where(Contract.bid_id.in_(awarded_bids)).order_by(Contract.number)
    ).all() if awarded_bids else []
    award_ids = {a["id"].split("-", 1)[1]: a["id"] for a in awards}
    ocds_contracts = [
        _clean({
            "id": c.number, "awardID": award_ids.get(str(c.bid_id), f"{c.lot.number}-{c.bid_id}"),
            "title": c.title, "status": CONTRACT_STATUS[c.status], "period": _period(c.start_date, c.end_date),
            "value": _value(c.budget_ceiling),
        })
        for c in contracts
    ]
    first_buyer = next(iter(parties.values()), None) if tender.gemeenten else None
    tags = ["tender"] + (["award"] if awards else []) + (["contract"] if ocds_contracts else [])
    weights = ", ".join(f"{c.name} {c.weight}%" for c in tender.award_criteria)
    release = _clean({
        "ocid": ocid,
        "id": f"{tender.reference}-{_stamp(datetime.now(UTC))}",
        "date": _stamp(datetime.now(UTC)),
        "tag": tags,
        "initiationType": "tender",
        "language": "nl",
        "parties": list(parties.values()),
        "buyer": {"id": first_buyer["id"], "name": first_buyer["name"]} if first_buyer else None,
        "tender": _clean({
            "id": tender.reference, "title": tender.title, "description": tender.description,
            "status": TENDER_STATUS[tender.status], "procurementMethod": METHODS[tender.procedure],
            "procurementMethodDetails": METHOD_DETAILS[tender.procedure]
            + (" (sociale en andere specifieke diensten)" if tender.light_regime else ""),
            "mainProcurementCategory": "services",
            "awardCriteria": "ratedCriteria" if tender.award_criteria else None,
            "awardCriteriaDetails": weights,
            "tenderPeriod": _period(tender.publication_date, tender.closing_at),
            "enquiryPeriod": _period(tender.publication_date, tender.questions_deadline),
            "awardPeriod": _period(tender.award_announced_on, tender.standstill_end),
            "numberOfTenderers": len(tenderers),
            "tenderers": list(tenderers.values()),
            "lots": [
                _clean({"id": str(lot.number), "title": lot.title, "description": lot.description,
                        "value": _value(lot.price_ceiling * lot.expected_volume if lot.price_ceiling else None)})
                for lot in tender.lots
            ],
        }),
        "awards": awards,
        "contracts": ocds_contracts,
    })
    return {
        "uri": url_for("tenders.ocds", tender_id=tender.id, _external=True),
        "version": "1.1",
        "extensions": [LOTS_EXTENSION],
        "publishedDate": _stamp(datetime.now(UTC)),
        "publisher": {"name": current_app.config.get("OCDS_PUBLISHER", "Sociale dienst")},
        "releases": [release],
    }
