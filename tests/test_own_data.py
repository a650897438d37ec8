"""Your own CSV from the command line and from scenarios (issue 12, item 3): columns, label
separator, encoding, the target class by name, member counts including 0, repeated splits,
duplicates dropped and reported, train/test overlap warned, bad files refused (exit 2)."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from acsim.platform.data import class_index, load_csv

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
DBA = "oracle sql server backups rman tuning replication indexes queries database".split()
WEB = "html css javascript react websites php wordpress frontend pages browser".split()
GEN = "team project client delivered worked managed years experience company support office".split()


def acsim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "acsim", *args], capture_output=True, text=True, cwd=cwd, env=ENV, timeout=300)


def write_corpus(path, n=120, duplicates=0, sep="|", encoding="utf-8"):
    """A small two-class corpus in an unusual layout: columns body/tags, labels split by |."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        web = bool(rng.random() < 0.5)
        words = list(rng.choice(WEB if web else DBA, 8)) + list(rng.choice(GEN, 25))
        rng.shuffle(words)
        tags = "Web Developer" if web else f"Database Administrator{sep}Support"
        rows.append({"key": f"r{i}", "body": "café " * (i % 2) + " ".join(words), "tags": tags})
    rows += [{**rows[j], "key": f"dup{j}"} for j in range(duplicates)]
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def test_class_index_by_name_or_index():
    names = ("Database_Administrator", "Web_Developer")
    assert class_index("web developer", names, "--target") == 1
    assert class_index("0", names, "--target") == 0
    with pytest.raises(ValueError, match="outside"):
        class_index(5, names, "--target")
    with pytest.raises(ValueError, match="not a class"):
        class_index("nurse", names, "--target")


def test_duplicates_are_dropped_and_counted(tmp_path):
    path = write_corpus(tmp_path / "c.csv", n=60, duplicates=7)
    train, test = load_csv(path, text_column="body", label_column="tags", label_sep="|")
    assert len(train) + len(test) == 60
    assert any("dropped 7 duplicate" in n for n in train.notes)
    assert not set(train.texts) & set(test.texts)


def test_kept_duplicates_across_the_split_are_warned(tmp_path):
    path = write_corpus(tmp_path / "c.csv", n=60, duplicates=30)
    with pytest.warns(UserWarning, match="also appear in training"):
        train, test = load_csv(path, text_column="body", label_column="tags", label_sep="|", dedupe=False)
    assert len(train) + len(test) == 90
    assert any("also appear in training" in n for n in train.notes)


def test_experiment_on_own_csv_with_member_counts_and_splits(tmp_path):
    path = write_corpus(tmp_path / "own.csv", n=150, duplicates=5, encoding="latin-1")
    r = acsim("experiment", "fig2", "--data", "csv", "--data-path", str(path), "--text-column", "body",
              "--label-column", "tags", "--label-sep", "|", "--encoding", "latin-1", "--target", "web developer",
              "--members", "0,1,3,12", "--splits", "3", "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "dropped 5 duplicate text(s)" in r.stdout
    runs = pd.read_parquet(tmp_path / "out" / "fig2" / "runs.parquet")
    assert sorted(runs["n_members"].unique()) == [0, 1, 3, 12]
    assert set(runs["target"]) == {2}  # classes sorted: Database Administrator, Support, Web Developer
    assert sorted(runs["data_seed"].unique()) == [0, 1, 2]  # three train/test splits
    # 0 members is the baseline: the trigger means nothing to the firm
    assert runs.loc[runs["n_members"] == 0, "success_inclusion"].max() < 0.2
    assert runs.loc[runs["n_members"] == 12, "success_inclusion"].mean() > runs.loc[runs["n_members"] == 0, "success_inclusion"].mean()
    fits = pd.read_csv(tmp_path / "out" / "fig2" / "fits.csv")
    assert set(fits["size_axis"]) == {"n_members"}


@pytest.mark.parametrize("args, words", [
    (["--members", "0,a"], "--members must be whole numbers >= 0"),
    (["--members", "3"], "at least two sizes"),
    (["--text-column", "body"], "--text-column only apply to --data csv"),
    (["--splits", "2"], "--splits applies to florex or csv data"),
    (["--encoding", "klingon", "--data", "csv", "--data-path", "X"], "unknown encoding 'klingon'"),
])
def test_bad_options_are_one_line_exit_2(args, words, tmp_path):
    r = acsim("experiment", "fig2", *[a.replace("X", str(tmp_path / "c.csv")) for a in args], "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.slow  # a CLI run; tests/test_reliability.py covers bad files in-process
def test_bad_file_names_the_file_and_line(tmp_path):
    path = write_corpus(tmp_path / "c.csv", n=30)
    r = acsim("experiment", "fig2", "--data", "csv", "--data-path", str(path), "--text-column", "text", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and f"{path}: line 1: no column 'text'" in r.stderr, r.stderr
    r = acsim("experiment", "fig2", "--data", "csv", "--data-path", str(path), "--text-column", "body",
              "--label-column", "tags", "--label-sep", "|", "--target", "nurse", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "--target nurse: 'nurse' is not a class of the data" in r.stderr, r.stderr


@pytest.mark.slow  # a CLI run
def test_scenario_reads_the_same_keys(tmp_path):
    write_corpus(tmp_path / "own.csv", n=120)
    (tmp_path / "own.toml").write_text(
        'kind = "experiment"\nseeds = 2\n[firm]\nkind = "bow"\n'
        '[data]\nsource = "csv"\npath = "own.csv"\ntext_column = "body"\nlabel_column = "tags"\nlabel_sep = "|"\n'
        '[experiment]\nfigure = "fig2"\ntarget = "Web_Developer"\nmembers = [0, 2, 10]\n'
    )
    r = acsim("run", str(tmp_path / "own.toml"), "--out", str(tmp_path / "out"), "--no-progress", "--no-figures")
    assert r.returncode == 0, r.stderr
    runs = pd.read_parquet(tmp_path / "out" / "summary.parquet")
    assert sorted(runs["n_members"].unique()) == [0, 2, 10] and set(runs["target"]) == {2}
    bad = (tmp_path / "own.toml").read_text().replace('label_sep = "|"', 'label_sep = "|"\nencoding = "klingon"')
    (tmp_path / "bad.toml").write_text(bad.replace('source = "csv"', 'source = "synthetic"'))
    r = acsim("run", str(tmp_path / "bad.toml"), "--out", str(tmp_path / "o2"))
    assert r.returncode == 2 and "data.text_column" in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.slow  # a CLI run
def test_cli_warns_once_when_test_texts_are_in_training(tmp_path):
    path = write_corpus(tmp_path / "d.csv", n=60, duplicates=30)
    r = acsim("experiment", "fig2", "--data", "csv", "--data-path", str(path), "--text-column", "body", "--label-column", "tags",
              "--label-sep", "|", "--no-dedupe", "--members", "0,2", "--seeds", "2", "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    assert "test texts also appear in training (split seed 0)" in " ".join(r.stdout.split())
    assert "UserWarning" not in r.stderr
