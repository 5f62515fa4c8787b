"""End to end: pictures are uploaded once and reused after restarts; Telegram failures never stop the bot."""

from __future__ import annotations

import sqlite3

from bot.store.sqlite_store import DB_FILE


async def test_a_picture_is_uploaded_once_then_sent_by_file_id(bot):
    first = await bot.ask("404")
    assert "photo" in first.files
    second = await bot.ask("not found")
    assert not second.files
    assert second.params["photo"] == first.result["photo"][-1]["file_id"]


async def test_file_ids_survive_a_restart(fake, start_bot, tmp_path):
    bot = await start_bot()
    first = await bot.ask("500")
    assert first.files
    await bot.file_id_known("500")
    await bot.stop()
    with sqlite3.connect(tmp_path / "state" / DB_FILE) as db:
        saved = {row[0] for row in db.execute("SELECT file_id FROM file_ids")}
    assert first.result["photo"][-1]["file_id"] in saved

    again = await start_bot()
    call = await again.ask("500")
    assert not call.files and call.params["photo"] == first.result["photo"][-1]["file_id"]


async def test_a_rejected_file_id_is_uploaded_again_and_replaced(bot, fake):
    first = await bot.ask("429")
    fake.forget_file_ids()
    update = bot.say("429")
    call = await bot.reply_to(update, ("sendPhoto",))
    assert "photo" in call.files  # the rejected file_id was followed by a fresh upload
    rejected = [c for c in fake.calls[update["_mark"] :] if c.method == "sendPhoto" and not c.ok]
    assert rejected and "wrong file identifier" in rejected[0].description
    new_id = call.result["photo"][-1]["file_id"]
    assert new_id != first.result["photo"][-1]["file_id"]
    await bot.file_id_known("429")
    assert bot.services.store.known_file_id(bot.services.illustrations.picture("429").key) == new_id


async def test_a_429_on_send_photo_is_retried_and_delivered(bot, fake):
    fake.fail_next("sendPhoto", status=429, retry_after=1)
    update = bot.say("503")
    call = await bot.reply_to(update, ("sendPhoto",), timeout=10)
    assert call.params["caption"].startswith("<b>503")


async def test_server_errors_and_dropped_connections_do_not_stop_the_bot(bot, fake):
    fake.fail_next("sendPhoto", status=500)
    failed = bot.say("502")
    await fake.wait_for("sendPhoto", lambda c: not c.ok, after=failed["_mark"])
    fake.drop_next("sendPhoto")
    dropped = bot.say("504")
    await fake.wait_for("sendPhoto", lambda c: c.dropped, after=dropped["_mark"])
    fake.fail_next("getUpdates", status=502)
    call = await bot.ask(
        "200",
    )
    assert call.ok and call.params["caption"].startswith("<b>200 OK</b>")


async def test_a_user_who_blocked_the_bot_does_not_stop_it(bot, fake):
    fake.block(4242)
    blocked = bot.say("404", chat_id=4242, user_id=4242)
    await fake.wait_for("sendPhoto", lambda c: not c.ok, after=blocked["_mark"])
    call = await bot.ask("404")
    assert call.ok


async def test_the_users_own_pictures_override_ours(start_bot, tmp_path):
    import io

    from PIL import Image

    own = tmp_path / "pictures"
    own.mkdir()
    Image.new("RGB", (800, 600), "purple").save(own / "404 Not Found.jpg")  # the seed's naming
    Image.new("RGB", (9000, 1500), "teal").save(own / "500.png")  # over Telegram's 10000 px sum
    bot = await start_bot(bot_illustrations_dir=own)

    call = await bot.ask("404")
    assert call.files["photo"] == (own / "404 Not Found.jpg").read_bytes()

    call = await bot.ask("500")
    with Image.open(io.BytesIO(call.files["photo"])) as sent:
        assert sent.width + sent.height <= 10_000 and sent.format == "JPEG"

    call = await bot.ask("502")  # no picture of the user's: ours
    assert call.files["photo"] == (bot.services.illustrations.bundled_dir / "502.jpg").read_bytes()


async def test_a_users_decompression_bomb_is_refused_at_start_and_ours_is_sent(start_bot, tmp_path, caplog):
    from pictures import bomb_png

    own = tmp_path / "pictures"
    own.mkdir()
    (own / "404.png").write_bytes(bomb_png(12000, 9000))  # 108 MP: over 400 MB once decoded
    bot = await start_bot(bot_illustrations_dir=own)
    call = await bot.ask("404")
    assert call.files["photo"] == (bot.services.illustrations.bundled_dir / "404.jpg").read_bytes()
    assert "Refused user picture" in caplog.text and "12000x9000" in caplog.text


async def test_simultaneous_requests_for_one_picture_upload_it_once(bot, fake):
    updates = [bot.say("418", chat_id=9000 + i, user_id=9000 + i) for i in range(5)]
    for update in updates:
        await bot.reply_to(update, ("sendPhoto",))
    await bot.idle()
    photos = [c for c in fake.calls if c.method == "sendPhoto" and c.params["chat_id"] >= 9000]
    assert len(photos) == 5 and sum(1 for c in photos if c.files) == 1
