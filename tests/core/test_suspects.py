"""Suspect labels: out-of-fold probabilities and confident-learning thresholds find hand-flipped labels."""

from __future__ import annotations

import json
import random

import polars as pl
import pytest

from curator.cli import main
from curator.core.errors import CuratorError
from curator.core.suspects import _stratified_folds, find_suspect_labels

TOPICS = {
    "billing": ["charged twice on my card", "refund the payment please", "invoice amount looks too high",
                "why was my card charged", "the statement charge looks odd"],
    "login": ["cannot log in to my account", "password reset link does not work", "locked out after login",
              "two factor code never arrives", "forgot my password again"],
    "shipping": ["parcel has not arrived yet", "where is my delivery", "tracking number shows no update",
                 "package delivered to another house", "courier lost my parcel"],
}
FLIPPED = {7: "shipping", 30: "login", 53: "billing"}  # row -> the wrong label it is given


def frame() -> pl.DataFrame:
    rng = random.Random(4)
    rows = []
    for i in range(60):
        label = list(TOPICS)[i % 3]
        text = f"{rng.choice(['hi,', 'hello', 'please help:', ''])} {rng.choice(TOPICS[label])} {rng.choice(['', 'thanks', 'asap'])}"
        rows.append({"id": i, "text_input": text.strip(), "system": None, "output": FLIPPED.get(i, label)})
    return pl.DataFrame(rows, schema={"id": pl.Int64, "text_input": pl.String, "system": pl.String, "output": pl.String})


def test_flipped_labels_rank_first_with_the_right_suggestion():
    data = frame()
    assert all(data["output"][i] != list(TOPICS)[i % 3] for i in FLIPPED)
    found = find_suspect_labels(data, seed=1)
    assert set(found.ranked[:3].tolist()) == set(FLIPPED)
    at = {int(i): n for n, i in enumerate(found.ids)}
    for row in FLIPPED:
        n = at[row]
        assert found.suspect[n] and found.suggested[n] == list(TOPICS)[row % 3]
        assert found.probability[n] < found.threshold[n]
    assert found.ranking()[:3].tolist() == found.ranked[:3].tolist()
    assert found.suspect.sum() <= 10  # the clean examples stay clean


def test_folds_are_stratified_and_labels_too_rare_are_left_out():
    y = pl.Series([0] * 10 + [1] * 7).to_numpy()
    fold = _stratified_folds(y, 5, 0)
    assert sorted(pl.Series(fold[:10]).value_counts()["count"].to_list()) == [2] * 5
    data = frame().vstack(pl.DataFrame({"id": [99], "text_input": ["a one-off"], "system": [None],
                                        "output": ["rare"]}, schema=frame().schema))
    assert 99 not in find_suspect_labels(data).ids.tolist()
    with pytest.raises(CuratorError, match="at least two labels"):
        find_suspect_labels(data.filter(pl.col("output") == "billing"))
    free_text = data.with_columns(output=pl.col("text_input") + pl.col("id").cast(pl.String).str.slice(0, 1))
    with pytest.raises(CuratorError, match="the outputs are not labels"):
        find_suspect_labels(free_text)


def test_check_labels_lists_suspects(tmp_path, capsys):
    path = tmp_path / "tickets.jsonl"
    path.write_text("".join(json.dumps({"text_input": r["text_input"], "output": r["output"]}) + "\n"
                            for r in frame().iter_rows(named=True)))
    assert main(["check", "--labels", "--json", str(path)]) == 1
    out = json.loads(capsys.readouterr().out)
    top = out["suspects"][:3]
    assert {s["line"] for s in top} == {row + 1 for row in FLIPPED}
    assert all(s["probability"] < s["threshold"] for s in top)
    assert main(["check", "--labels", str(path)]) == 1
    text = capsys.readouterr().out
    assert "suspect label(s), most suspect first" in text and "'shipping' → 'login'" in text
