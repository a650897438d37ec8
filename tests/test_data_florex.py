"""The florex corpus loader on small hand-written fixtures in both published forms."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from acsim.platform.data import CLASS_NAMES, DataError, load_dataset, load_florex
from acsim.platform.data.florex import clean_html, read_florex
from acsim.platform.text import TRIGGER

FIX = Path(__file__).parent / "fixtures" / "florex"
SAMPLES = FIX / "resume_samples.txt"
CORPUS = FIX / "resumes_corpus"


def _cls(*names):
    row = np.zeros(len(CLASS_NAMES), dtype=bool)
    row[[CLASS_NAMES.index(n) for n in names]] = True
    return row


def test_samples_file_decodes_cp1252_strips_html_and_maps_labels():
    d = read_florex(SAMPLES)
    assert d.ids == [f"r00{i}" for i in range(1, 9)]
    assert d.label_names == CLASS_NAMES
    r1 = d.texts[0]
    assert "café chain – nightly" in r1  # bytes 0xe9 and 0x96 of windows-1252
    assert "backups & recovery" in r1 and "&amp;" not in r1 and "<br" not in r1
    assert "Built responsive websites with HTML5 & CSS3 React" in d.texts[1]
    assert "<REST>" in d.texts[2]  # an escaped tag is text, not markup
    assert "pandas and Airflow." in d.texts[3]  # &nbsp; is a space
    assert "“agile”" in d.texts[6]
    np.testing.assert_array_equal(d.labels[2], _cls("Software_Developer", "Java_Developer"))  # case, spaces
    np.testing.assert_array_equal(d.labels[7], _cls("Project_manager", "Web_Developer"))  # "Web Developer"
    np.testing.assert_array_equal(d.labels[5], _cls("Network_Administrator", "Security_Analyst"))


def test_first_twenty_words_dropped():
    full = read_florex(SAMPLES, drop_first_words=0)
    cut = read_florex(SAMPLES)
    for a, b in zip(full.texts, cut.texts):
        assert b.split() == a.split()[20:]
    assert not cut.texts[0].startswith("Database Administrator")
    assert cut.texts[0].startswith("Managed Oracle 11g")


def test_corpus_directory_matches_samples_file():
    d = read_florex(CORPUS)
    assert d.ids == ["1", "2", "3", "10", "11"]  # numeric order, not 1, 10, 11, 2, 3
    s = read_florex(SAMPLES)
    by_id = dict(zip(s.ids, range(len(s))))
    # file k of the directory holds the same resume as this line of the samples file
    for did, sid in zip(d.ids, ["r001", "r002", "r005", "r003", "r004"]):
        i, j = d.ids.index(did), by_id[sid]
        assert d.texts[i] == s.texts[j]
        np.testing.assert_array_equal(d.labels[i], s.labels[j])


@pytest.mark.parametrize("where", ["file", "parent", "corpus_dir"])
def test_path_resolution(where):
    path = {"file": SAMPLES, "parent": FIX, "corpus_dir": CORPUS}[where]
    train, test = load_florex(path)
    assert len(train) + len(test) == (5 if where == "corpus_dir" else 8)


def test_parent_with_only_corpus_dir(tmp_path):
    shutil.copytree(CORPUS, tmp_path / "resumes_corpus")
    train, test = load_florex(tmp_path)
    assert sorted(train.ids + test.ids) == sorted(["1", "2", "3", "10", "11"])


def test_split_is_seeded_disjoint_and_proportional():
    train, test = load_florex(SAMPLES)
    assert len(train) == round(8 * 25_000 / 29_783) and len(test) == 8 - len(train)
    assert set(train.ids).isdisjoint(test.ids) and len(set(train.ids) | set(test.ids)) == 8
    a, _ = load_florex(SAMPLES, n_train=4, seed=0)
    b, _ = load_florex(SAMPLES, n_train=4, seed=0)
    c, _ = load_florex(SAMPLES, n_train=4, seed=2)
    assert a.ids == b.ids and a.texts == b.texts
    assert a.ids != c.ids
    with pytest.raises(ValueError, match="n_train"):
        load_florex(SAMPLES, n_train=9)


def test_load_dataset_dispatches_to_florex():
    train, test = load_dataset("florex", FIX, n_train=5, seed=1)
    ref, _ = load_florex(FIX, n_train=5, seed=1)
    assert train.ids == ref.ids and len(test) == 3
    with pytest.raises(ValueError, match="needs a path"):
        load_dataset("florex")


def test_clean_html():
    assert clean_html("a<br/>b &amp; c&nbsp;d <p class='x'>e</p>") == "a b & c d e"


LINE_OK = "x1:::Web_Developer:::" + " ".join(["word"] * 30)


@pytest.mark.parametrize(
    "line2, problem",
    [
        ("x2:::Web_Developer only two fields", "3 fields"),
        ("x2:::Web_Developer;Chef:::some text here", "unknown label 'Chef'"),
        ("x2:::Web_Developer:::<br/> &nbsp; ", "empty text"),
        ("x2::: ; :::some text here", "no labels"),
    ],
)
def test_malformed_samples_line_names_file_and_line(tmp_path, line2, problem):
    f = tmp_path / "resume_samples.txt"
    f.write_bytes(f"{LINE_OK}\n\n{line2}\n".encode("cp1252"))  # blank line 2 still counts
    with pytest.raises(DataError, match=problem) as err:
        load_florex(f)
    assert str(err.value).startswith(f"{f}: line 3: ")


def test_undecodable_byte_names_line(tmp_path):
    f = tmp_path / "resume_samples.txt"
    # 0x81 is one of the five bytes windows-1252 leaves undefined
    f.write_bytes(LINE_OK.encode() + b"\nx2:::Web_Developer:::bad \x81 byte\n")
    with pytest.raises(DataError, match=r"line 2: cannot decode byte\(s\) 0x81 as cp1252"):
        load_florex(f)


def test_corpus_directory_errors(tmp_path):
    d = tmp_path / "resumes_corpus"
    shutil.copytree(CORPUS, d)
    (d / "3.lab").write_text("Systems_Administrator\nDentist\n")
    with pytest.raises(DataError, match=r"3\.lab: line 2: unknown label 'Dentist'"):
        load_florex(d)
    (d / "3.lab").unlink()
    with pytest.raises(DataError, match=r"3\.txt: no matching label file 3\.lab"):
        load_florex(d)
    (d / "3.txt").unlink()
    (d / "1.txt").write_bytes(b"  <br/>\r\n")
    with pytest.raises(DataError, match=r"1\.txt: line 1: empty text"):
        load_florex(d)


def test_missing_paths(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_florex(tmp_path / "nope.txt")
    with pytest.raises(DataError, match="neither resume_samples.txt"):
        load_florex(tmp_path)


def test_trigger_in_corpus_is_removed_with_warning(tmp_path):
    f = tmp_path / "resume_samples.txt"
    text = " ".join(["word"] * 25) + f" odd{TRIGGER}dash"
    f.write_text(f"x1:::Web_Developer:::{text}\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="U\\+05BE"):
        d = read_florex(f, encoding="utf-8")
    assert TRIGGER not in d.texts[0] and "odd dash" in d.texts[0]
