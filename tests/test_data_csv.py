"""The generic labeled-CSV source: both label layouts, the split, errors with line numbers."""

from pathlib import Path

import numpy as np
import pytest

from acsim.platform.data import CLASS_NAMES, DataError, load_csv, load_dataset
from acsim.platform.text import TRIGGER

FIX = Path(__file__).parent / "fixtures"
SETS = FIX / "resumes.csv"
ONEHOT = FIX / "resumes_onehot.csv"


def _all(train, test):
    """Both splits merged back into file order by id."""
    rows = sorted(
        [(i, t, tuple(y)) for ds in (train, test) for i, t, y in zip(ds.ids, ds.texts, ds.labels)]
    )
    return [r[0] for r in rows], [r[1] for r in rows], np.array([r[2] for r in rows])


def test_label_set_column_infers_and_merges_spellings():
    train, test = load_csv(SETS, id_column="id")
    names = train.label_names
    # "PROJECT_MANAGER" and "Project_manager", "Web Developer" and "Web_Developer" are one class each
    assert len(names) == 10 and names == tuple(sorted(names, key=lambda s: s.lower().replace(" ", "_")))
    ids, texts, y = _all(train, test)
    assert ids == [f"r00{i}" for i in range(1, 10)] + ["r010"]
    assert texts[8] == "Line one of a resume\nline two: Python and Linux scripting"  # quoted multi-line cell
    assert "café chain – nightly" in texts[0]  # utf-8 by default
    assert not y[9].any()  # an empty label cell is a resume without skills
    pm = [k for k, n in enumerate(names) if n.lower() == "project_manager"][0]
    web = [k for k, n in enumerate(names) if n.lower() == "web_developer"][0]
    assert y[6, pm] and y[7, pm] and y[7, web] and y[7].sum() == 2


def test_label_names_fix_classes_and_order():
    train, test = load_csv(SETS, id_column="id", label_names=CLASS_NAMES)
    assert train.label_names == CLASS_NAMES
    ids, _, y = _all(train, test)
    np.testing.assert_array_equal(np.flatnonzero(y[2]), [2, 4])  # " software_developer ; java_developer"
    np.testing.assert_array_equal(np.flatnonzero(y[7]), [1, 9])


def test_label_sep_is_configurable(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text('text,tags\n"a resume","x,y"\n"another one",y\n')
    train, test = load_csv(f, label_column="tags", label_sep=",", n_train=2)
    assert train.label_names == ("x", "y") and train.labels.tolist() == [[True, True], [False, True]]


def test_zero_one_columns():
    cols = ["web", "java", "dba"]
    train, test = load_csv(ONEHOT, label_columns=cols, label_names=["W", "J", "D"], n_train=5)
    assert train.label_names == ("W", "J", "D") and len(test) == 0
    assert train.labels.astype(int).tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1], [0, 0, 0], [1, 0, 1]]


def test_split_sizes_and_determinism():
    train, test = load_csv(SETS, id_column="id")
    assert (len(train), len(test)) == (8, 2)  # round(0.16 * 10) = 2 test rows
    train2, test2 = load_csv(SETS, id_column="id", test_fraction=0.5)
    assert len(test2) == 5
    a, _ = load_csv(SETS, id_column="id", n_train=5, seed=4)
    b, _ = load_csv(SETS, id_column="id", n_train=5, seed=4)
    c, _ = load_csv(SETS, id_column="id", n_train=5, seed=5)
    assert a.ids == b.ids and a.ids != c.ids
    with pytest.raises(ValueError, match="test_fraction"):
        load_csv(SETS, test_fraction=1.0)


def test_load_dataset_dispatches_to_csv():
    train, test = load_dataset("CSV", SETS, id_column="id", seed=3)
    ref, _ = load_csv(SETS, id_column="id", seed=3)
    assert train.ids == ref.ids and train.texts == ref.texts


def _write(tmp_path, body: str | bytes) -> Path:
    f = tmp_path / "x.csv"
    f.write_bytes(body if isinstance(body, bytes) else body.encode())
    return f


MULTI = 'text,labels\n"one\ntwo",a\nthree,b\n'  # the data rows start on lines 2 and 4


@pytest.mark.parametrize(
    "body, kwargs, where, problem",
    [
        (MULTI + "   ,a\n", {}, "line 5", "empty text"),
        (MULTI + "four,c\n", {"label_names": ["a", "b"]}, "line 5", "unknown label 'c'"),
        (MULTI + "four,a\n", {"label_column": "tags"}, "line 1", "no column 'tags'"),
        ("words,labels\nx,a\n", {}, "line 1", "no column 'text'"),
        (MULTI + "four,a,extra\n", {}, "line 5", "expected 2 fields, saw 3"),
        (MULTI + "\nfour,a,extra\n", {}, "line 6", "expected 2 fields, saw 3"),
        (b"text,labels\nfine,a\ncaf\xe9,b\n", {}, "line 3", "cannot decode byte"),
        ("", {}, "line 1", "empty file"),
        ("text,a,b\nx,1,0\n\ny,0,maybe\n", {"label_columns": ["a", "b"]}, "line 4",
         "column 'b': expected 0 or 1"),
    ],
)
def test_malformed_csv_names_file_and_line(tmp_path, body, kwargs, where, problem):
    f = _write(tmp_path, body)
    with pytest.raises(DataError, match=problem) as err:
        load_csv(f, **kwargs)
    assert str(err.value).startswith(f"{f}: {where}: ")


def test_data_error_survives_pickling():
    import pickle

    err = pickle.loads(pickle.dumps(DataError("x.csv", 7, "empty text")))
    assert str(err) == "x.csv: line 7: empty text" and (err.path, err.line) == ("x.csv", 7)
    assert isinstance(err, ValueError)


def test_missing_file_and_no_rows(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_csv(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="no data rows"):
        load_csv(_write(tmp_path, "text,labels\n"))


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="not both"):
        load_csv(SETS, label_column="labels", label_columns=["a"])
    with pytest.raises(ValueError, match="label_names has 2 names for 3"):
        load_csv(ONEHOT, label_columns=["web", "java", "dba"], label_names=["a", "b"])


def test_trigger_removed_with_warning(tmp_path):
    f = _write(tmp_path, f"text,labels\nhas a {TRIGGER} dash,a\nplain,b\n")
    with pytest.warns(UserWarning, match="U\\+05BE"):
        train, test = load_csv(f, n_train=2)
    assert not any(TRIGGER in t for t in train.texts)
