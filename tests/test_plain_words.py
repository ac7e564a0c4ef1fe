"""Small words a 75-year-old trips over: each error where it belongs."""

import pytest

pytestmark = pytest.mark.django_db


def field_errors(page, name):
    box = page.html.select_one(f"#div_id_{name}")
    return " ".join(
        e.get_text(" ", strip=True) for e in box.select(".invalid-feedback")
    )


def signup_form(page):
    return next(f for f in page.forms.values() if "password1" in f.fields)


def test_sign_up_shows_each_password_error_under_its_own_field(app):
    form = signup_form(app.get("/accounts/signup/"))
    form["username"] = "maggie"
    form["password1"] = "abc"
    form["password2"] = "abd"
    refused = form.submit(status=200)
    assert "too short" in field_errors(refused, "password1")
    assert "too short" not in field_errors(refused, "password2")
    assert "match" in field_errors(refused, "password2")

    form = signup_form(refused)
    form["password1"] = form["password2"] = "password"
    refused = form.submit(status=200)
    assert "too common" in field_errors(refused, "password1")
    assert field_errors(refused, "password2") == ""
