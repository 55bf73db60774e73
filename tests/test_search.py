"""The one folding rule of name search, without a database: what a typed name and a stored name become."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db import make_engine
from app.migrate import upgrade
from app.search import fold, like_pattern, name_key, phrase


@pytest.mark.parametrize(("typed", "folded"), [
    ("Çelik", "celik"), ("çelik", "celik"), ("CELIK", "celik"), ("Zoë", "zoe"), ("ZOË", "zoe"),
    ("Ayşe", "ayse"), ("Øyvind", "oyvind"), ("Łukasz", "lukasz"), ("Straße", "strasse"), ("İlkay", "ilkay"),
    ("Şımarık", "simarik"), ("Ærø", "aero"), ("D’Souza", "d'souza"), ("  van   der  Berg ", "van der berg"),
    ("Nguyễn", "nguyen"), ("Ĳsbrand", "ijsbrand"),
])
def test_fold_drops_case_diacritics_and_extra_spaces(typed, folded):
    assert fold(typed) == folded


def test_a_name_is_kept_in_both_orders_and_a_comma_reads_as_a_space():
    key = name_key("Noor", "Nieuwkomer")
    assert key == "noor nieuwkomer\nnieuwkomer noor"
    assert phrase("Nieuwkomer, Noor") in key and phrase("Noor Nieuwkomer") in key
    assert phrase("Noor, Noorlander") not in key


def test_a_missing_name_part_still_gives_a_key():
    assert name_key("Zoë", None) == "zoe\nzoe"


def test_like_wildcards_typed_by_the_user_are_taken_literally():
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"


def test_the_migration_fills_the_folded_name_of_existing_clients(fresh_database_url):
    url = fresh_database_url()
    upgrade(url, "0006_approved_cost")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO gemeente (name, cbs_code, oin, street, postcode, city) "
                              "VALUES ('Aastad', 'GM8001', '', '', '', '')"))
            conn.execute(text("INSERT INTO target_group (code, name) VALUES ('algemeen', 'Algemeen')"))
            conn.execute(text(
                "INSERT INTO client (bsn, first_name, last_name, gemeente_id, benefit_type, monthly_benefit, "
                "target_group_id, phase, ladder_rung, created_at) VALUES ('111222333', 'Ayşe', 'Çelik', "
                "(SELECT id FROM gemeente), 'none', 0, (SELECT id FROM target_group), 1, 1, CURRENT_TIMESTAMP)"))
        upgrade(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT search_name FROM client")).scalar_one() == "ayse celik\ncelik ayse"
    finally:
        engine.dispose()
