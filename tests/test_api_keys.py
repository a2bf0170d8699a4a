from __future__ import annotations

import httpx
from sqlalchemy import text

from tests.conftest import Api, secret_marker
from tradebot.context import AppContext
from tradebot.security import SecretBox


async def test_create_masks_the_key_and_never_returns_the_secret(alice: Api) -> None:
    api_key, secret = secret_marker("apikey") + "WXYZ", secret_marker("secret")
    r = await alice.request(
        "POST", "/api-keys", json={"label": "Main", "api_key": api_key, "secret_key": secret}
    )
    assert r.status_code == 201
    body = r.json()
    assert body["api_key_masked"] == "****WXYZ"
    assert body["label"] == "Main" and body["is_valid"] is False
    assert api_key not in r.text and secret not in r.text
    listed = await alice.request("GET", "/api-keys")
    assert listed.status_code == 200
    assert [k["api_key_masked"] for k in listed.json()] == ["****WXYZ"]
    assert api_key not in listed.text and secret not in listed.text
    one = await alice.request("GET", f"/api-keys/{body['id']}")
    assert one.status_code == 200 and secret not in one.text


async def test_key_validation_errors_name_the_field_without_echoing(alice: Api) -> None:
    r = await alice.request(
        "POST", "/api-keys", json={"api_key": "has space inside", "secret_key": "tiny"}
    )
    assert r.status_code == 422
    errors = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert set(errors) == {"api_key", "secret_key"}
    assert "has space inside" not in r.text and "tiny" not in r.text
    r = await alice.request(
        "POST", "/api-keys", json={"api_key": "A" * 20, "secret_key": "B" * 20, "extra": 1}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "extra"


async def test_secrets_are_encrypted_at_rest_and_decrypt_in_memory(
    alice: Api, ctx: AppContext
) -> None:
    api_key, secret = secret_marker("apikey"), secret_marker("secret")
    r = await alice.request("POST", "/api-keys", json={"api_key": api_key, "secret_key": secret})
    key_id = r.json()["id"]
    async with ctx.engine.connect() as conn:
        dump = "\n".join(
            str(row)
            for row in (
                await conn.execute(text("SELECT row_to_json(k)::text FROM api_keys k"))
            ).all()
        )
        enc = (
            await conn.execute(
                text("SELECT encrypted_secret_key FROM api_keys WHERE id = :i"), {"i": key_id}
            )
        ).scalar_one()
    assert api_key not in dump and secret not in dump
    assert ctx.box.decrypt(enc) == secret


async def test_database_holds_no_plaintext_secret_or_password(
    client: httpx.AsyncClient, alice: Api, ctx: AppContext
) -> None:
    await alice.create_key()
    await alice.create_bot()
    async with ctx.engine.connect() as conn:
        tables = ["users", "api_keys", "bot_configs", "bot_states", "trades"]
        dump = ""
        for t in tables:
            query = text(f"SELECT row_to_json(x)::text FROM {t} x")  # noqa: S608 - fixed names
            rows = (await conn.execute(query)).scalars().all()
            dump += "\n".join(rows)
    from tests.conftest import LEAK_MARKERS

    assert dump
    assert not [m for m in LEAK_MARKERS if m in dump]


async def test_delete_key(alice: Api) -> None:
    key = await alice.create_key()
    assert (await alice.request("DELETE", f"/api-keys/{key['id']}")).status_code == 204
    assert (await alice.request("GET", "/api-keys")).json() == []
    assert (await alice.request("DELETE", f"/api-keys/{key['id']}")).status_code == 404


async def test_key_in_use_by_an_active_live_bot_cannot_be_deleted(alice: Api) -> None:
    key = await alice.create_key()
    bot = await alice.create_bot(mode="live")
    assert (await alice.request("POST", f"/bots/{bot['id']}/start")).status_code == 200
    r = await alice.request("DELETE", f"/api-keys/{key['id']}")
    assert r.status_code == 409 and "stop it first" in r.json()["detail"]
    await alice.request("POST", f"/bots/{bot['id']}/stop")
    assert (await alice.request("DELETE", f"/api-keys/{key['id']}")).status_code == 204


def test_rotation_reencrypts_under_the_new_key() -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = SecretBox([old]).encrypt("s3cret")
    rotated = SecretBox([new, old]).rotate(token)
    assert SecretBox([new]).decrypt(rotated) == "s3cret"
    try:
        SecretBox([new]).decrypt(token)
    except ValueError as exc:
        assert "s3cret" not in str(exc) and token not in str(exc)
    else:
        raise AssertionError("an old token must not decrypt under the new key alone")
