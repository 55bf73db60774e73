def test_login_and_home(as_role):
    c = as_role("admin")
    r = c.get("/")
    assert r.status_code == 200
    assert "Welkom" in r.get_data(as_text=True)
