"""The gemeenten register and its executing bodies: list, search, sort, create, edit, bad input."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models import ExecutingBody, Gemeente
from tests.conftest import field_error, tbody


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_list_search_and_sort(as_role, world):
    c = as_role("management")
    page = tbody(c.get("/gemeenten/").get_data(as_text=True))
    assert page.index("Aastad") < page.index("Beedorp") < page.index("Ceeveen")
    desc = tbody(c.get("/gemeenten/?sort=name&dir=desc").get_data(as_text=True))
    assert desc.index("Ceeveen") < desc.index("Aastad")
    found = c.get("/gemeenten/?q=GM8002").get_data(as_text=True)
    assert "Beedorp" in tbody(found) and "Aastad" not in tbody(found)
    assert "1 resultaat," in found


def test_unknown_sort_column_falls_back_to_default(as_role, world):
    page = tbody(as_role("admin").get("/gemeenten/?sort=password&dir=desc").get_data(as_text=True))
    assert page.index("Ceeveen") < page.index("Aastad")  # default column (name), requested direction


def test_pagination_is_bounded(app, as_role, world):
    app.config["PAGE_SIZE"] = 2
    c = as_role("admin")
    first = c.get("/gemeenten/").get_data(as_text=True)
    assert "pagina 1 van 2" in first and 'rel="next"' in first
    beyond = c.get("/gemeenten/?page=99").get_data(as_text=True)
    assert "pagina 2 van 2" in beyond and "Ceeveen" in tbody(beyond)
    assert c.get("/gemeenten/?page=abc").status_code == 200


def test_create_gemeente_normalises_cbs_code(as_role, world, db):
    response = as_role("admin").post(
        "/gemeenten/nieuw", data={"name": "Deestad", "cbs_code": "gm0363", "executing_body_id": world.body.id}
    )
    assert response.status_code == 302
    gemeente = db.scalar(select(Gemeente).where(Gemeente.name == "Deestad"))
    assert gemeente.cbs_code == "GM0363"
    assert gemeente.executing_body_id == world.body.id


def test_create_without_executing_body(as_role, world, db):
    response = as_role("admin").post("/gemeenten/nieuw", data={"name": "Eeveen", "cbs_code": "1234",
                                                               "executing_body_id": 0})
    assert response.status_code == 302
    gemeente = db.scalar(select(Gemeente).where(Gemeente.name == "Eeveen"))
    assert gemeente.cbs_code == "GM1234" and gemeente.executing_body_id is None


def test_bad_input_stores_nothing_and_says_why_at_the_field(as_role, world, db):
    before = _count(db, Gemeente)
    c = as_role("admin")
    cases = [
        ({"name": "", "cbs_code": "GM0001"}, "name", "Dit veld is verplicht."),
        ({"name": "X", "cbs_code": "GMABCD"}, "cbs_code", "CBS-gemeentecode heeft de vorm GM0000"),
        ({"name": "Aastad", "cbs_code": "GM0002"}, "name", "Er is al een gemeente met deze naam."),
        ({"name": "Nieuw", "cbs_code": "GM8001"}, "cbs_code", "Er is al een gemeente met deze CBS-code."),
    ]
    for data, field, message in cases:
        response = c.post("/gemeenten/nieuw", data={**data, "executing_body_id": 0})
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert message in field_error(page, field), data
        assert 'aria-invalid="true"' in page
    assert _count(db, Gemeente) == before


def test_edit_records_history(as_role, world, db):
    c = as_role("admin")
    gemeente = world.gemeenten[2]
    response = c.post(f"/gemeenten/{gemeente.id}/bewerken",
                      data={"name": "Ceeveen aan Zee", "cbs_code": "GM8003", "executing_body_id": world.body.id})
    assert response.status_code == 302
    page = c.get(f"/gemeenten/{gemeente.id}").get_data(as_text=True)
    assert "Ceeveen aan Zee" in page and "Sociale Dienst Testland" in page
    assert "gewijzigd" in page and "<del>Ceeveen</del>" in page


def test_edit_form_is_prefilled(as_role, world):
    page = as_role("admin").get(f"/gemeenten/{world.gemeenten[0].id}/bewerken").get_data(as_text=True)
    assert 'value="Aastad"' in page
    assert f'<option selected value="{world.body.id}">' in page


def test_executing_body_create_edit_and_duplicate(as_role, world, db):
    c = as_role("admin")
    assert c.post("/gemeenten/uitvoeringsorganisaties/nieuw",
                  data={"name": "Werkplein Oost", "description": "GR"}).status_code == 302
    duplicate = c.post("/gemeenten/uitvoeringsorganisaties/nieuw", data={"name": "Werkplein Oost"})
    assert duplicate.status_code == 422
    assert "Er is al een uitvoeringsorganisatie met deze naam." in duplicate.get_data(as_text=True)
    body = db.scalar(select(ExecutingBody).where(ExecutingBody.name == "Werkplein Oost"))
    assert c.post(f"/gemeenten/uitvoeringsorganisaties/{body.id}/bewerken",
                  data={"name": "Werkplein Oost-Nederland"}).status_code == 302
    detail = c.get(f"/gemeenten/uitvoeringsorganisaties/{world.body.id}").get_data(as_text=True)
    assert "Aastad" in detail and "Beedorp" in detail and "Ceeveen" not in detail


def test_unknown_ids_are_404(as_role, world):
    c = as_role("admin")
    assert c.get("/gemeenten/999999").status_code == 404
    assert c.get("/gemeenten/999999/bewerken").status_code == 404
    assert c.get("/gemeenten/uitvoeringsorganisaties/999999").status_code == 404
