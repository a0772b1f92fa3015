"""Accounts, personal tokens, sign-ins and the teachers of each class, in the store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from live.errors import BadRequest, Conflict, NotFound
from live.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "correct horse battery"


def test_the_first_account_is_the_owner_an_admin_and_keeps_every_class(store: Store) -> None:
    """Classes made before any account (the laptop's first run) belong to the first account."""
    a = store.create_class("7A", now=1.0)
    b = store.create_class("7B", now=1.0)
    first = store.add_user("Ada", PASSWORD, role="teacher", now=2.0)
    assert (first["username"], first["role"], first["owner"]) == ("ada", "admin", True)
    assert store.classes_taught(first["id"]) == {a["id"], b["id"]}
    second = store.add_user("ben", PASSWORD, display_name="Ben Ng", now=3.0)
    assert (second["role"], second["owner"], second["display_name"]) == ("teacher", False, "Ben Ng")
    assert store.classes_taught(second["id"]) == set()
    assert [u["username"] for u in store.list_users()] == ["ada", "ben"]
    assert store.owner() == first


def test_passwords_are_argon2id_hashes_and_checked(store: Store) -> None:
    user = store.add_user("ada", PASSWORD, now=1.0)
    [row] = store.query("SELECT password_hash FROM users")
    assert row["password_hash"].startswith("$argon2id$") and PASSWORD not in row["password_hash"]
    assert store.check_password("ADA ", PASSWORD) == user
    assert store.check_password("ada", PASSWORD + "!") is None
    assert store.check_password("nobody", PASSWORD) is None
    store.set_password(user["id"], "a new password", now=2.0)
    assert store.check_password("ada", PASSWORD) is None
    assert store.check_password("ada", "a new password") == store.get_user(user["id"])


@pytest.mark.parametrize(
    ("username", "password"),
    [("", PASSWORD), ("-ada", PASSWORD), ("a b", PASSWORD), ("x" * 65, PASSWORD), ("ada", "short")],
)
def test_a_bad_username_or_password_is_refused(store: Store, username: str, password: str) -> None:
    with pytest.raises(BadRequest):
        store.add_user(username, password, now=1.0)
    assert store.list_users() == []


def test_a_username_is_taken_once_whatever_its_case(store: Store) -> None:
    store.add_user("ada", PASSWORD, now=1.0)
    with pytest.raises(Conflict):
        store.add_user("Ada", PASSWORD, now=2.0)


def test_disabling_signs_out_revokes_tokens_and_the_owner_stays_enabled(store: Store) -> None:
    owner = store.add_user("ada", PASSWORD, now=1.0)
    ben = store.add_user("ben", PASSWORD, now=1.0)
    cookie = store.start_login(ben["id"], now=2.0)
    _row, token = store.create_api_token(ben["id"], "script", now=2.0)
    assert store.user_for_login(cookie, now=3.0) == ben
    assert store.user_for_api_token(token, now=3.0) == ben
    store.update_user(ben["id"], disabled=True, now=4.0)
    assert store.user_for_login(cookie, now=5.0) is None
    assert store.user_for_api_token(token, now=5.0) is None
    assert store.check_password("ben", PASSWORD) is None
    store.update_user(ben["id"], disabled=False, now=6.0)
    assert store.check_password("ben", PASSWORD) is not None
    assert store.user_for_api_token(token, now=7.0) is None  # revoked stays revoked
    with pytest.raises(Conflict):
        store.update_user(owner["id"], disabled=True, now=8.0)
    with pytest.raises(Conflict):
        store.update_user(owner["id"], role="teacher", now=8.0)


def test_tokens_are_kept_hashed_shown_once_and_revocable(store: Store) -> None:
    ada = store.add_user("ada", PASSWORD, now=1.0)
    ben = store.add_user("ben", PASSWORD, now=1.0)
    row, token = store.create_api_token(ada["id"], "grades script", now=2.0)
    stored = store.query("SELECT token_hash FROM api_tokens")
    assert token not in str(stored) and len(token) >= 40
    assert store.list_api_tokens(ada["id"]) == [row]
    assert store.user_for_api_token(token, now=3.0) == ada
    assert store.list_api_tokens(ada["id"])[0]["last_used_at"] == 3.0
    with pytest.raises(NotFound):
        store.revoke_api_token(ben["id"], row["id"], now=4.0)  # not ben's
    assert store.revoke_api_token(ada["id"], row["id"], now=4.0)["revoked_at"] == 4.0
    assert store.user_for_api_token(token, now=5.0) is None
    assert store.user_for_api_token("made-up", now=5.0) is None


def test_a_sign_in_expires_and_ends(store: Store) -> None:
    ada = store.add_user("ada", PASSWORD, now=1.0)
    cookie = store.start_login(ada["id"], now=10.0, ttl=100.0)
    assert store.user_for_login(cookie, now=109.0) == ada
    assert store.user_for_login(cookie, now=110.0) is None
    other = store.start_login(ada["id"], now=10.0)
    store.end_login(other, now=11.0)
    assert store.user_for_login(other, now=12.0) is None
    again = store.start_login(ada["id"], now=20.0)
    store.set_password(ada["id"], "another password", now=21.0)
    assert store.user_for_login(again, now=22.0) is None  # a new password signs everyone out


def test_a_class_has_one_owner_co_teachers_and_can_be_handed_over(store: Store) -> None:
    ada = store.add_user("ada", PASSWORD, now=1.0)
    ben = store.add_user("ben", PASSWORD, now=1.0)
    cy = store.add_user("cy", PASSWORD, now=1.0)
    cls = store.create_class("7A", now=2.0)
    store.claim_class(cls["id"], ben["id"], now=2.0)
    store.claim_class(cls["id"], cy["id"], now=2.0)  # has an owner: nothing changes
    assert store.class_role(ben["id"], cls["id"]) == "owner"
    assert store.class_role(cy["id"], cls["id"]) is None
    people = store.add_coteacher(cls["id"], cy["id"], now=3.0)
    assert [(p["username"], p["role"]) for p in people] == [("ben", "owner"), ("cy", "coteacher")]
    with pytest.raises(Conflict):
        store.add_coteacher(cls["id"], cy["id"], now=3.0)
    people = store.set_class_owner(cls["id"], ada["id"], now=4.0)
    assert [(p["username"], p["role"]) for p in people] == [("ada", "owner"), ("cy", "coteacher")]
    assert store.classes_taught(ben["id"]) == set()
    people = store.set_class_owner(cls["id"], cy["id"], now=5.0)  # a co-teacher takes it over
    assert [(p["username"], p["role"]) for p in people] == [("cy", "owner")]
    with pytest.raises(NotFound):
        store.remove_coteacher(cls["id"], cy["id"])  # the owner is not a co-teacher
    store.add_coteacher(cls["id"], ben["id"], now=6.0)
    assert [p["username"] for p in store.remove_coteacher(cls["id"], ben["id"])] == ["cy"]
    with pytest.raises(NotFound):
        store.set_class_owner(999, ben["id"], now=7.0)
    store.update_user(ben["id"], disabled=True, now=8.0)
    with pytest.raises(Conflict):
        store.add_coteacher(cls["id"], ben["id"], now=9.0)
    store.delete_class(cls["id"])
    assert store.classes_taught(cy["id"]) == set()


def test_a_data_folder_made_before_accounts_upgrades_and_its_owner_keeps_every_class(
    tmp_path: Path,
) -> None:
    """The last data folder before accounts (``legacy-v3``): the first account owns it all."""
    path = tmp_path / "cardcheck.sqlite3"
    shutil.copy(FIXTURES / "legacy-v3.sqlite3", path)
    store = Store(path)
    try:
        every = {c["id"] for c in store.list_classes(include_archived=True)}
        assert every
        owner = store.add_user("teacher", PASSWORD, now=1.0)
        assert store.classes_taught(owner["id"]) == every
    finally:
        store.close()


def test_links_are_scoped_hashed_revocable_and_die_with_their_class(store: Store) -> None:
    cls = store.create_class("7A", now=1.0)
    other = store.create_class("7B", now=1.0)
    session, _ = store.start_session(cls["id"], set_id=None, now=2.0)
    elsewhere, _ = store.start_session(other["id"], set_id=None, now=2.0)
    row, token = store.create_link("projector", class_id=cls["id"], now=3.0)
    assert token not in str(store.query("SELECT token_hash FROM links"))
    assert store.link_for(token, now=4.0) == row
    with pytest.raises(NotFound):  # a session of another class
        store.create_link("projector", class_id=cls["id"], session_id=elsewhere["id"], now=3.0)
    with pytest.raises(BadRequest):  # a scanner link names its session
        store.create_link("scanner", class_id=cls["id"], now=3.0)
    store.revoke_link(row["id"], now=5.0)
    assert store.link_for(token, now=6.0) is None
    _, kept = store.create_link("projector", class_id=cls["id"], now=6.0)
    store.update_class(cls["id"], archived=True, now=7.0)
    assert store.link_for(kept, now=8.0) is None  # archived: it stops working
    store.update_class(cls["id"], archived=False, now=9.0)
    _, code = store.create_link("pairing", class_id=cls["id"], session_id=session["id"], now=10.0)
    assert store.link_for(code, now=10.0 + 11 * 60) is None  # ten minutes
    made = store.use_pairing(code, now=11.0)
    assert made is not None
    scanner, credential = made
    assert (scanner["kind"], scanner["session_id"]) == ("scanner", session["id"])
    assert store.link_for(credential, now=12.0) == scanner
    assert store.use_pairing(code, now=12.0) is None  # spent
    assert [r["kind"] for r in store.list_links(cls["id"])] == ["scanner", "projector"]


def test_a_data_folder_of_the_last_release_before_accounts_upgrades_in_place(
    tmp_path: Path,
) -> None:
    """``main-0003.sqlite3`` was written by cardcheck just before accounts (schema 0003, two
    classes, one archived, a session running): it upgrades when opened, and the first account
    owns every class, the archived one too, with its session."""
    path = tmp_path / "cardcheck.sqlite3"
    shutil.copy(FIXTURES / "main-0003.sqlite3", path)
    store = Store(path)
    try:
        classes = store.list_classes(include_archived=True)
        assert [c["name"] for c in classes] == ["Period 3", "Period 5"]
        assert store.list_users() == []
        owner = store.add_user("teacher", PASSWORD, now=2_000_000_000.0)
        assert store.classes_taught(owner["id"]) == {c["id"] for c in classes}
        [session] = store.list_sessions(class_id=classes[0]["id"])
        assert session["class_id"] == classes[0]["id"]
    finally:
        store.close()
