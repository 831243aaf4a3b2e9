"""Alerts and digests delivered for real: the `watcher` command, the local register server and
a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import NCT, mail_config, run_watcher, watcher_cli
from tests.registry_server import RegistryServer

pytestmark = pytest.mark.e2e


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


@pytest.fixture
def config(server: RegistryServer, db_url: str, tmp_path: Path, smtp: Any) -> Path:
    return mail_config(tmp_path / "watcher.toml", server.url, db_url, smtp.port)


def _change_status(
    server: RegistryServer, status: str = "ACTIVE_NOT_RECRUITING", size: int | None = 1000
) -> None:
    ps = server.state.studies[NCT]["protocolSection"]
    ps["statusModule"]["overallStatus"] = status
    if size is not None:
        ps["designModule"]["enrollmentInfo"]["count"] = size


def test_a_check_after_a_change_delivers_one_alert(
    server: RegistryServer, config: Path, smtp: Any
) -> None:
    assert run_watcher(["add", NCT, "--label", "ACCIO"], config).returncode == 0
    assert smtp.messages == []  # a first version is no change
    _change_status(server)
    result = run_watcher(["check"], config)
    assert result.returncode == 0, result.stderr
    [message] = smtp.messages
    assert message["Subject"] == "[watcher] 1 trial changed (2 major, 0 minor)"
    assert message["From"] == "watcher@hospital.example"
    assert message["To"] == "trials-office@hospital.example"
    assert ".watcher.alert." in message["Message-ID"]
    text, html = _parts(message)
    for part in (text, html):
        assert NCT in part and "ACCIO" in part
        assert "Recruitment status: Recruiting → Active, not recruiting" in part
        assert "Target sample size: 1210 → 1000 (−17%)" in part
    assert 'href="https://clinicaltrials.gov/study/NCT04267848"' in html
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_the_alert_links_each_trial_to_its_web_page(
    server: RegistryServer, config: Path, smtp: Any
) -> None:
    with config.open("a", encoding="utf-8") as f:
        f.write('\n[serve]\npublic_url = "https://trials.example.org"\n')
    run_watcher(["add", NCT], config)
    _change_status(server)
    assert run_watcher(["check"], config).returncode == 0
    [message] = smtp.messages
    text, html = _parts(message)
    assert f"  Review: https://trials.example.org/trial/{NCT}\r\n" in text
    assert f'<a href="https://trials.example.org/trial/{NCT}"' in html


def test_no_alert_for_an_unchanged_check_or_a_metadata_change(
    server: RegistryServer, config: Path, smtp: Any
) -> None:
    run_watcher(["add", NCT], config)
    run_watcher(["check"], config)
    ps = server.state.studies[NCT]["protocolSection"]
    ps["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2025-11-02"
    result = run_watcher(["check", "--json"], config)
    assert '"changed": [\n    "NCT04267848"' in result.stdout  # a new version...
    assert smtp.messages == []  # ...but bookkeeping alone is never alerted


def test_alert_on_major_only_leaves_minor_changes_for_the_digest(
    server: RegistryServer, db_url: str, tmp_path: Path, smtp: Any
) -> None:
    config = mail_config(
        tmp_path / "w.toml", server.url, db_url, smtp.port, 'alert_on = ["major"]\n'
    )
    run_watcher(["add", NCT], config)
    ps = server.state.studies[NCT]["protocolSection"]
    ps["conditionsModule"]["conditions"].append("Lung Adenocarcinoma")  # a minor change
    run_watcher(["check"], config)
    assert smtp.messages == []
    result = run_watcher(["digest", "--send"], config)
    assert result.returncode == 0, result.stderr
    [digest] = smtp.messages
    assert "Condition 7 added: Lung Adenocarcinoma" in _parts(digest)[0]


def test_the_digest_groups_changes_and_an_empty_one_says_so(
    server: RegistryServer, config: Path, smtp: Any
) -> None:
    run_watcher(["add", NCT], config)
    _change_status(server)
    run_watcher(["check"], config)
    assert run_watcher(["digest", "--send"], config).returncode == 0
    _alert, digest = smtp.messages
    assert digest["Subject"] == "[watcher] Weekly digest: 1 trial changed (2 major, 0 minor)"
    text, html = _parts(digest)
    assert "1 of 1 watched trials changed: 2 major, 0 minor and 0 metadata changes." in text
    assert "Recruitment status: Recruiting → Active, not recruiting" in html
    # The next digest starts where this one ended: nothing changed since.
    run_watcher(["check"], config)
    assert run_watcher(["digest", "--send"], config).returncode == 0
    quiet = smtp.messages[2]
    assert quiet["Subject"] == "[watcher] Weekly digest: no changes, 1 trials checked"
    assert "No changes in this period. 1 of 1 watched trials were checked." in _parts(quiet)[0]


def test_a_digest_sent_while_smtp_is_down_arrives_once_it_is_back(
    server: RegistryServer, config: Path, smtp: Any
) -> None:
    run_watcher(["add", NCT], config)
    smtp.stop()
    _change_status(server)
    checked = run_watcher(["check"], config)
    assert checked.returncode == 0  # every fetch succeeded; the alert waits
    assert "Warning: not sent: alert" in checked.stderr
    sent = run_watcher(["digest", "--send"], config)
    assert sent.returncode == 1
    assert sent.stderr.endswith(
        "Error: the digest could not be sent; it stays queued and goes "
        "out with the next check, digest --send or daemon cycle\n"
    )
    assert "Connection refused" in sent.stderr
    smtp.start()
    import time

    time.sleep(2.1)  # past email.retry_after (1 s, doubled once)
    again = run_watcher(["check"], config)
    assert again.returncode == 0, again.stderr
    subjects = [m["Subject"] for m in smtp.messages]
    assert subjects == [
        "[watcher] 1 trial changed (2 major, 0 minor)",
        "[watcher] Weekly digest: 1 trial changed (2 major, 0 minor)",
    ]
    assert len({m["Message-ID"] for m in smtp.messages}) == 2
    run_watcher(["check"], config)
    assert len(smtp.messages) == 2  # nothing doubled


def test_tag_recipients_get_their_trials(
    server: RegistryServer, db_url: str, tmp_path: Path, smtp: Any
) -> None:
    config = mail_config(
        tmp_path / "w.toml",
        server.url,
        db_url,
        smtp.port,
        '[email.tags]\nlung = ["lung-team@hospital.example"]\n',
    )
    run_watcher(["add", NCT, "--tag", "lung"], config)
    _change_status(server)
    run_watcher(["check"], config)
    assert sorted(m["To"] for m in smtp.messages) == [
        "lung-team@hospital.example",
        "trials-office@hospital.example",
    ]


def test_every_register_value_is_escaped(
    server: RegistryServer, config: Path, smtp: Any, tmp_path: Path
) -> None:
    run_watcher(["add", NCT], config)
    ident = server.state.studies[NCT]["protocolSection"]["identificationModule"]
    ident["briefTitle"] = '<script>alert("x")</script> Chemo-IO & <b>pembrolizumab</b>'
    _change_status(server)
    run_watcher(["check"], config)
    [message] = smtp.messages
    text, html = _parts(message)
    assert "<script>" not in html and "<b>pembrolizumab" not in html
    assert "&lt;script&gt;" in html
    assert '<script>alert("x")</script>' in text  # plain text shows it as text
    out = tmp_path / "report.html"
    assert run_watcher(["report", "--format", "html", "--out", str(out)], config).returncode == 0
    page = out.read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    history = tmp_path / "history.html"
    run_watcher(["report", "--trial", NCT, "--format", "html", "--out", str(history)], config)
    assert "<script>" not in history.read_text()


def test_send_with_email_off_is_a_clear_error(
    server: RegistryServer, db_url: str, tmp_path: Path
) -> None:
    from tests.conftest import write_config

    config = write_config(tmp_path / "w.toml", server.url, db_url)
    result = run_watcher(["digest", "--send"], config)
    assert result.returncode == 2
    assert result.stderr == (
        f"Error: {config}: email.enabled: e-mail is off (and no notify.apprise_urls); set "
        "it to true (and smtp_host, from, to) to send\n"
    )


def test_smtp_login_with_a_password_from_the_environment(
    server: RegistryServer, db_url: str, tmp_path: Path
) -> None:
    from tests.smtp import SmtpServer

    guarded = SmtpServer(login=("watcher", "correct horse")).start()
    try:
        config = mail_config(
            tmp_path / "w.toml", server.url, db_url, guarded.port, 'username = "watcher"\n'
        )
        run_watcher(["add", NCT], config)
        _change_status(server)
        wrong = run_watcher(["check"], config, env={"WATCHER_SMTP_PASSWORD": "battery staple"})
        assert "login refused for 'watcher' (535)" in wrong.stderr
        assert "battery staple" not in wrong.stderr + wrong.stdout
        assert guarded.messages == []
        import time

        time.sleep(1.1)
        run_watcher(["check"], config, env={"WATCHER_SMTP_PASSWORD": "correct horse"})
        assert len(guarded.messages) == 1
    finally:
        guarded.stop()


def test_other_channels_through_apprise(
    server: RegistryServer, db_url: str, tmp_path: Path
) -> None:
    """A webhook (apprise's json:// channel) on a real local HTTP server gets the alert."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    posts: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            posts.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=hook.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        from tests.conftest import write_config

        config = write_config(tmp_path / "w.toml", server.url, db_url)
        with config.open("a") as f:
            f.write(f'\n[notify]\napprise_urls = ["json://127.0.0.1:{hook.server_port}/hook"]\n')
        run_watcher(["add", NCT], config)
        _change_status(server)
        result = run_watcher(["check"], config)
        assert result.returncode == 0, result.stderr
        [post] = posts
        assert post["title"] == "[watcher] 1 trial changed (2 major, 0 minor)"
        assert "Recruitment status: Recruiting → Active, not recruiting" in post["message"]
        assert run_watcher(["digest", "--send"], config).returncode == 0
        assert posts[1]["title"].startswith("[watcher] Weekly digest: 1 trial changed")
    finally:
        hook.shutdown()
        hook.server_close()


def test_starttls_with_an_internal_ca(server: RegistryServer, db_url: str, tmp_path: Path) -> None:
    """A real TLS handshake: the server's certificate is signed for 127.0.0.1 by a CA that
    only `email.ca_file` names; without it, TLS fails and the message waits."""
    import ssl
    import subprocess

    from tests.smtp import SmtpServer

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    tls = SmtpServer(login=("watcher", "s3cret"), tls=context).start()
    try:
        base = mail_config(
            tmp_path / "w.toml",
            server.url,
            db_url,
            tls.port,
            'starttls = true\nusername = "watcher"\n',
        )
        env = {"WATCHER_SMTP_PASSWORD": "s3cret"}
        run_watcher(["add", NCT], base)
        _change_status(server)
        untrusted = run_watcher(["check"], base, env=env)
        assert "TLS failed" in untrusted.stderr and tls.messages == []
        text = base.read_text().replace(
            "starttls = true\n", f'starttls = true\nca_file = "{cert}"\n'
        )
        base.write_text(text)
        import time

        time.sleep(1.1)  # past email.retry_after
        trusted = run_watcher(["check"], base, env=env)
        assert trusted.returncode == 0, trusted.stderr
        assert [m["Subject"] for m in tls.messages] == [
            "[watcher] 1 trial changed (2 major, 0 minor)"
        ]
    finally:
        tls.stop()


def test_an_alert_the_full_disk_kept_from_the_outbox_is_sent_once_space_is_back(
    server: RegistryServer, config: Path, smtp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watcher.errors import StoreError
    from watcher.store.sql import SqlStore

    watcher_cli(config, "add", NCT)
    _change_status(server)

    def full(*_args: Any) -> list[int]:
        raise StoreError("database w.db: database or disk is full")

    with monkeypatch.context() as disk:
        disk.setattr(SqlStore, "queue_messages", full)
        checked = watcher_cli(config, "check", "--json", expect=1)
    assert orjson.loads(checked.stdout)["changed"] == [NCT]  # said all the same
    assert "database or disk is full" in checked.stderr
    assert len(orjson.loads(watcher_cli(config, "history", NCT, "--json").output)) == 2
    assert smtp.messages == []

    watcher_cli(config, "check")  # space is back; the register has nothing new
    [message] = smtp.messages
    text, _ = _parts(message)
    assert "Recruitment status: Recruiting → Active, not recruiting" in text
    watcher_cli(config, "check")
    assert len(smtp.messages) == 1  # told once


def test_the_alert_carries_the_red_flags_the_digest_shows(
    server: RegistryServer, config: Path, smtp: Any
) -> None:
    watcher_cli(config, "add", NCT)
    _change_status(server, size=600)
    watcher_cli(config, "check")
    [message] = smtp.messages
    text, html = _parts(message)
    for part in (text, html):
        assert "Target sample size cut by 50% since we started watching" in part
    digest = watcher_cli(config, "digest", "--since", "2000-01-01").output
    assert "Target sample size cut by 50% since we started watching" in digest
