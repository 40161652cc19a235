"""Blind A/B votes: the ballot hides which model wrote which answer, every vote is kept on disk as it arrives
(concurrent voters, a restart), the win rate comes with its interval, and votes become DPO pairs."""

import json
import re
import shutil
import threading

import pytest

from posttrain.studio import Studio, StudioError
from posttrain.votes import VoteLog

from test_studio import _fake_run

ANSWERS = {"Who are you?": "I am Nova.", "Who made you?": "Acme made me.", "Name a colour.": "Blue."}


@pytest.fixture()
def studio(tmp_path):
    return Studio(default_model="unused", root=tmp_path / "runs")


@pytest.fixture()
def run(studio):
    return _fake_run(studio.root, "1-dpo", "dpo", {"beta": 0.1}, ANSWERS, 0.7)


def test_the_ballot_is_blind_and_the_vote_reveals_which_was_which(studio, run):
    ballot = studio.ballot(run, "alice")
    assert [i["question"] for i in ballot["items"]] == list(ANSWERS) and ballot["tally"]["n"] == 0
    assert ballot["sides"] == ["before", "after"]
    assert all(set(item) == {"index", "question", "A", "B"} for item in ballot["items"])  # no labels sent
    item = ballot["items"][0]
    pick = "A" if item["A"] == "I am Nova." else "B"  # alice prefers the trained answer
    out = studio.vote(run, "alice", 0, pick)
    assert out["vote"]["winner"] == "after" and out["vote"][pick] == "after"  # revealed after the vote
    assert out["tally"]["n"] == 1 and out["tally"]["wins"] == 1
    assert studio.ballot(run, "alice")["voted"].keys() == {0}  # she has voted on question 0
    with pytest.raises(StudioError, match="already voted on this question"):
        studio.vote(run, "alice", 0, "tie")
    orders = {studio.ballot(run, f"v{i}")["items"][0]["A"] for i in range(16)}
    assert orders == {"I am Nova.", "I am Smol."}  # the after answer is A for some voters, B for others


def test_votes_from_ten_concurrent_voters_are_all_kept_through_a_restart(studio, run):
    def voter(i):
        for q in range(len(ANSWERS)):
            item = studio.ballot(run, f"voter{i}")["items"][q]
            studio.vote(run, f"voter{i}", q, "A" if item["A"] == "I am Smol." else "B")  # all prefer "before"

    threads = [threading.Thread(target=voter, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (studio.root / "1-dpo" / "votes.jsonl").read_text().splitlines()
    assert len(lines) == 30 and all(json.loads(x)["winner"] == "before" for x in lines)
    restarted = Studio(default_model="unused", root=studio.root)  # a new server process reads the same file
    t = restarted.ballot(run, "someone new")["tally"]
    assert (t["n"], t["wins"], t["losses"], t["voters"], t["win_rate"]) == (30, 0, 30, 10, 0.0)
    assert t["high"] < 0.15  # the interval says "after" lost, with 30 votes


def test_votes_become_dpo_pairs_by_majority(studio, run):
    for i, pick in enumerate(["after", "after", "before"]):
        item = studio.ballot(run, f"v{i}")["items"][0]
        studio.vote(run, f"v{i}", 0, "A" if (item["A"] == "I am Nova.") == (pick == "after") else "B")
    studio.vote(run, "v0", 1, "tie")
    pairs = studio.vote_pairs(run)
    assert len(pairs) == 1  # question 0 has a majority; a tie and unvoted questions give none
    assert pairs[0]["chosen"][-1]["content"] == "I am Nova." and pairs[0]["rejected"][-1]["content"] == "I am Smol."


def test_two_runs_can_be_set_against_each_other(studio, run):
    other = _fake_run(studio.root, "2-dpo", "dpo", {"beta": 0.5},
                      {"Who are you?": "I am Nova Prime.", "Name a colour.": "Red."}, 0.6)
    ballot = studio.ballot(run, "bob", other)
    assert ballot["sides"] == ["1-dpo", "2-dpo"] and [i["question"] for i in ballot["items"]] == \
        ["Who are you?", "Name a colour."]  # the questions both answered
    out = studio.vote(run, "bob", 1, "B", other)
    assert out["vote"]["winner"] in ("1-dpo", "2-dpo") and out["tally"]["n"] == 1
    assert studio.ballot(run, "bob")["tally"]["n"] == 0  # before/after votes are a tally of their own


def test_bad_votes_get_a_sentence(studio, run):
    with pytest.raises(StudioError, match="a vote is A, B or tie"):
        studio.vote(run, "x", 0, "C")
    with pytest.raises(StudioError, match="there is no question 9"):
        studio.vote(run, "x", 9, "A")
    with pytest.raises(StudioError, match="no question has a majority yet"):
        studio.vote_pairs(run)
    shutil.rmtree(run)
    with pytest.raises(StudioError, match="that run is gone"):
        studio.vote(run, "x", 0, "A")
    with pytest.raises(StudioError, match="choose a run from the list"):
        studio.ballot("/etc", "x")
    with pytest.raises(StudioError, match="choose a run from the list"):  # no run picked (an empty list)
        studio.ballot(None, "x")
    unfinished = studio.root / "3-dpo"
    unfinished.mkdir()
    (unfinished / "config.json").write_text("{}")
    with pytest.raises(StudioError, match="no before/after answers to vote on"):
        studio.ballot(str(unfinished), "x")


def test_answers_that_did_not_change_are_not_on_the_ballot(studio):
    same = _fake_run(studio.root, "4-dpo", "dpo", {}, {"Who are you?": "I am Nova.", "Hi?": "I am Smol."}, 0.7)
    assert [i["question"] for i in studio.ballot(same, "x")["items"]] == ["Who are you?"]  # "Hi?" stayed the same
    unchanged = _fake_run(studio.root, "5-dpo", "dpo", {}, {"Hi?": "I am Smol."}, 0.7)
    with pytest.raises(StudioError, match="word for word the same: there is nothing to vote on"):
        studio.ballot(unchanged, "x")


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path):
    log = VoteLog(tmp_path / "votes.jsonl")
    log.append({"winner": "after"})
    with open(tmp_path / "votes.jsonl", "a") as f:
        f.write('{"winner": "bef')
    assert log.read() == [{"winner": "after"}]


def test_ten_sessions_vote_through_the_app_and_every_vote_counts(serve, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    studio = Studio(default_model="unused", root=tmp_path / "runs")
    run = _fake_run(studio.root, "1-dpo", "dpo", {"beta": 0.1}, ANSWERS, 0.7)
    first = serve(studio)
    url = first.src

    def session(i):
        from gradio_client import Client

        client = Client(url, verbose=False)  # a session of its own: its own voter
        shown, said = client.predict(run, "", api_name="/ballot")
        assert "question 1 of 3" in shown and ("No votes yet" in said or "preferred" in said)
        for _ in ANSWERS:
            a = re.search(r'pt-ballot-label">A</div><div>(.*?)</div>', shown).group(1)
            trained = a != "I am Smol."  # seven voters prefer the trained model's answer, three the other
            pick = "a" if trained == (i < 7) else "b"
            shown, said = client.predict(run, "", api_name=f"/vote_{pick}")
            assert said.startswith("You chose") and "A was **" in said, said  # the labels revealed
        assert "You have voted on all 3 questions" in shown

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(session, range(10)))
    votes = VoteLog(studio.root / "1-dpo" / "votes.jsonl").read()
    assert len(votes) == 30 and len({v["voter"] for v in votes}) == 10
    _, said = first.predict(run, "", api_name="/ballot")
    assert "in **70%** of 30 blind votes" in said and "voters: 10" in said
    table, msg, _ = first.predict(run, "", api_name="/vote_pairs")
    assert msg.startswith("✓ Pairs from the votes: 3,") and len(table["data"]) == 3
    assert sorted(row[1] for row in table["data"]) == sorted(ANSWERS.values())  # chosen = the majority's answer
    _, said = first.predict(str(studio.root / "nope"), "", api_name="/ballot")
    assert said.startswith("⚠") and "that run is gone" in said
