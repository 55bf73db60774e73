"""The OCDS 1.1 export of a tender validates against the schema kept in the repository."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from jsonschema import Draft4Validator, FormatChecker

from app.models import ContractStatus, LotAward
from contracts.procurement import TenderStatus

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "app" / "tenders" / "schema"
                     / "ocds-1.1-release-package.json").read_text())


def _errors(package):
    validator = Draft4Validator(SCHEMA, format_checker=FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(package)]


def test_schema_itself_is_valid_and_catches_mistakes():
    Draft4Validator.check_schema(SCHEMA)
    assert _errors({"uri": "x", "version": "1.1", "publishedDate": "yesterday", "publisher": {"name": "p"},
                    "releases": [{"ocid": "abc", "id": "1", "date": "2026-01-01T00:00:00+00:00", "tag": ["bid"],
                                  "initiationType": "tender"}]})


def test_published_tender_exports_valid_ocds(as_role, world):
    response = as_role("inkoper").get(f"/aanbestedingen/{world.tender.id}/ocds.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    package = response.get_json()
    assert _errors(package) == []
    [release] = package["releases"]
    assert release["ocid"] == "ocds-000000-AB-TEST-1" and release["tag"] == ["tender"]
    tender = release["tender"]
    assert (tender["status"], tender["procurementMethod"], tender["numberOfTenderers"]) == ("active", "open", 1)
    assert tender["lots"] == [{"id": "1", "title": "Werkfit", "value": {"amount": 120000.0, "currency": "EUR"}}]
    roles = {p["id"]: p["roles"] for p in release["parties"]}
    assert roles["GM8001"] == ["buyer", "procuringEntity"] and roles["NL-KVK-12345678"] == ["tenderer"]


def test_awards_and_contracts_follow_the_tender(as_role, world, db):
    tender = world.tender
    lot = tender.lots[0]
    bid = lot.bids[0]
    db.add(LotAward(lot=lot, bid=bid, rank=1, total_points=Decimal("90.00"), awarded=True, reason="Gegund"))
    tender.status = TenderStatus.CONTRACTED
    tender.award_announced_on = date(2026, 3, 1)
    world.contract.bid_id = bid.id
    world.contract.status = ContractStatus.ENDED
    db.commit()
    package = as_role("management").get(f"/aanbestedingen/{tender.id}/ocds.json").get_json()
    assert _errors(package) == []
    [release] = package["releases"]
    assert release["tag"] == ["tender", "award", "contract"]
    [award] = release["awards"]
    assert (award["status"], award["relatedLots"], award["value"]["amount"]) == ("active", ["1"], 2400.0)
    [contract] = release["contracts"]
    assert (contract["id"], contract["awardID"], contract["status"]) == ("C-TEST-1", award["id"], "terminated")
    assert "supplier" in {r for p in release["parties"] for r in p["roles"]}
