"""Login throttling on every door (issue 12): after five wrong passwords for one user from one
address, even the right password is refused for 15 minutes, with 429 and a message; other
users and other addresses are not locked out by it. Real requests through axes."""

import pytest

pytestmark = pytest.mark.django_db

LOCKED = (
    "Too many wrong passwords for this user from your address: logging in is blocked for 15 "
    "minutes. Try again later, or ask an administrator to unlock it."
)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("ada", password="right-password-1")


def _portal(client, password):
    return client.post("/accounts/login/", {"username": "ada", "password": password})


def _admin(client, password):
    return client.post("/admin/login/", {"username": "ada", "password": password})


def _token(client, password):
    return client.post(
        "/api/v1/auth/token/",
        {"username": "ada", "password": password},
        content_type="application/json",
    )


@pytest.mark.parametrize("door", [_portal, _admin, _token])
def test_five_wrong_passwords_lock_the_door_even_for_the_right_one(client, user, door):
    for _ in range(4):
        assert door(client, "wrong").status_code in (200, 400)  # the form / API says why
    fifth = door(client, "wrong")

    locked = door(client, "right-password-1")

    assert (fifth.status_code, locked.status_code) == (429, 429)
    assert LOCKED in locked.content.decode()


def test_the_api_answers_the_lockout_in_json(client, user):
    for _ in range(5):
        _token(client, "wrong")

    locked = _token(client, "right-password-1")

    assert locked["Content-Type"] == "application/json"
    assert locked.json() == {"detail": LOCKED}


def test_another_address_and_a_right_password_before_the_limit_are_fine(client, user):
    for _ in range(4):
        _portal(client, "wrong")
    assert _portal(client, "right-password-1").status_code == 302  # logged in: count reset
    client.logout()
    for _ in range(4):
        _portal(client, "wrong")
    assert _portal(client, "right-password-1").status_code == 302

    for _ in range(5):
        _portal(client, "wrong")
    other = client.post(
        "/accounts/login/",
        {"username": "ada", "password": "right-password-1"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert other.status_code == 302
