"""Credentials are masked at append; look-alikes are not; sync sends no event that
still holds one unless allowed; a private task stays on its machine."""

from __future__ import annotations

import json

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from journal_core import Journal, Settings, new_event
from journal_core.secrets import _ANY_HINT, _HINTS, redact_text
from tests.sync.conftest import Team, remote_lines

# Real formats, made up values (split so that no scanner flags this file).
_KEY = "AKIA" + "Z7Q4XK2M9PLW3RTV"
_SECRETS = [
    pytest.param(f"the key is {_KEY} ok", "aws_access_key", id="aws-access-key"),
    pytest.param(
        "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "Q3Z8TxLp2N",
        "aws_secret_key",
        id="aws-secret-key",
    ),
    pytest.param(
        "token " + "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "github_token", id="ghp"
    ),
    pytest.param("github_pat_" + "11ABCDEFG0" + "x" * 72, "github_token", id="github-pat"),
    pytest.param("glpat-" + "xY9zW8vU7tS6rQ5pO4nM", "gitlab_token", id="gitlab"),
    pytest.param("xoxb-" + "123456789012-1234567890123-AbCdEfGh", "slack_token", id="slack"),
    pytest.param(
        "https://hooks.slack.com/services/" + "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "slack_webhook",
        id="slack-webhook",
    ),
    pytest.param("AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "google_api_key", id="google"),
    pytest.param("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "stripe_key", id="stripe"),
    pytest.param("npm_" + "a" * 36, "npm_token", id="npm"),
    pytest.param(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n"
        "-----END OPENSSH PRIVATE KEY-----",
        "private_key",
        id="private-key",
    ),
    pytest.param(
        "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0." + "dozjgNryP4J3jVmNHl0w5N",
        "jwt",
        id="jwt",
    ),
    pytest.param(
        "clone https://deploy:" + "s3cr3tpass" + "@git.example.com/team/repo.git",
        "url_credentials",
        id="url-credentials",
    ),
]

_LOOK_ALIKES = [
    pytest.param(
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", id="sha256"
    ),
    pytest.param("commit 3f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39", id="commit-id"),
    pytest.param("event 01KMZ3T4J8Q7W2E5R6T7Y8V9H0", id="ulid"),
    pytest.param("uuid 123e4567-e89b-12d3-a456-426614174000", id="uuid"),
    pytest.param("md5 d41d8cd98f00b204e9800998ecf8427e", id="md5"),
    pytest.param("the AKIA prefix names AWS access keys", id="aws-word"),
    pytest.param("git@github.com:team/repo.git", id="scp-url"),
    pytest.param("http://localhost:8080/path@v2", id="port-url"),
    pytest.param("mail bob@example.com", id="email"),
    pytest.param("ghp_ is GitHub's prefix for personal tokens", id="ghp-word"),
    pytest.param("base64 dGhpcyBpcyBub3QgYSBzZWNyZXQgYXQgYWxs", id="base64"),
    pytest.param("-----BEGIN PUBLIC KEY-----", id="public-key"),
]


@pytest.mark.parametrize(("text", "kind"), _SECRETS)
def test_a_credential_is_masked_at_append(text: str, kind: str, tmp_path: object) -> None:
    journal = Journal(Settings(journal_path=tmp_path / "j.jsonl"))  # type: ignore[operator]
    try:
        result = journal.append(new_event(type="open", text=text, title="t"))
        line = journal.path.read_bytes()
    finally:
        journal.close()
    assert result.redacted == [kind]
    event = json.loads(line)
    assert f"[redacted:{kind}]" in event["text"]
    assert event["meta"]["redacted"] == [kind]
    assert redact_text(event["text"])[1] == set()


@pytest.mark.parametrize("text", _LOOK_ALIKES)
def test_a_look_alike_is_left_as_it_is(text: str) -> None:
    assert redact_text(text) == (text, set())


# Texts made of the hints' own characters and pieces of them, where hints overlap,
# repeat and stand at either end.
_HINTISH = st.lists(
    st.sampled_from(_HINTS).flatmap(
        lambda hint: st.tuples(st.integers(0, len(hint)), st.integers(0, len(hint))).map(
            lambda cut: hint[min(cut) : max(cut)]
        )
    )
    | st.text(alphabet="".join(sorted(set("".join(_HINTS)))) + " ab", max_size=3),
    max_size=12,
).map("".join)


@given(text=_HINTISH)
def test_the_first_look_stops_a_text_exactly_when_it_holds_a_hint(text: str) -> None:
    # The look for a hint by its rarest character must find each hint wherever it
    # stands, or a credential would pass unmasked; and only a hint.
    assert (_ANY_HINT.search(text) is not None) == any(hint in text for hint in _HINTS)


def test_a_credential_in_meta_and_refs_is_masked_too(tmp_path: object) -> None:
    journal = Journal(Settings(journal_path=tmp_path / "j.jsonl"))  # type: ignore[operator]
    try:
        journal.append(
            new_event(
                type="open",
                text="fine",
                title="t",
                refs={"files": [f"config/{_KEY}.txt"]},
                meta={"note": {"deep": [f"key {_KEY}"]}},
            )
        )
        line = journal.path.read_text()
    finally:
        journal.close()
    assert _KEY not in line
    assert json.loads(line)["meta"]["redacted"] == ["aws_access_key"]


def test_sync_refuses_an_older_event_holding_a_credential(team: Team) -> None:
    a, b, _ = team.members
    task = a.open_task("An older program wrote a key")
    old = new_event(type="finding", text=f"key {_KEY}", task_id=task)
    with a.journal_path.open("ab") as file:
        file.write(msgspec.json.encode(old) + b"\n")
    a.append(task, "after it")
    done = a.cli("sync")
    assert done.returncode == 1
    assert old.event_id in done.stderr
    assert "--allow-secrets" in done.stderr
    b.sync()
    assert len(b.lines()) == 1  # the open only: the key and what follows stayed
    assert a.cli("sync", "--allow-secrets").returncode == 0
    b.sync()
    assert len(b.lines()) == 3


def test_a_private_task_never_leaves_the_machine(team: Team) -> None:
    a, b, _ = team.members
    done = a.cli("create", "Salary review", "--private")
    assert done.returncode == 0
    private = done.stdout.strip()
    a.append(private, "numbers nobody else sees")
    shared = a.open_task("Shared work")
    replica = a.sync().replica_id
    b.sync()
    assert {json.loads(line)["task_id"] for line in b.lines()} == {shared}
    assert all(private.encode() not in line for line in remote_lines(team.remote, replica))
