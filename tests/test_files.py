"""Writing files all or nothing."""

import os

import pytest

from autograd.files import write_atomically


def test_writes_text_and_bytes_with_ordinary_permissions(tmp_path):
    write_atomically(tmp_path / "a.txt", "héllo")
    write_atomically(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644


def test_replacing_keeps_the_old_permissions(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("old")
    os.chmod(path, 0o600)
    write_atomically(path, "new")
    assert path.read_text() == "new" and path.stat().st_mode & 0o777 == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("old")
    with pytest.raises(TypeError):
        write_atomically(path, 42)  # not text or bytes: fails mid-write
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_folder_as_the_path_is_refused_by_its_own_name(tmp_path):
    folder = tmp_path / "plots"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as error:
        write_atomically(folder, b"png")
    assert str(error.value) == f"cannot write {str(folder)!r}: it is a folder; give a file name in it"
    assert os.listdir(tmp_path) == ["plots"] and os.listdir(folder) == []  # no temporary left anywhere


def test_a_missing_folder_is_named_with_the_path(tmp_path):
    path = tmp_path / "nowhere" / "a.png"
    with pytest.raises(FileNotFoundError) as error:
        write_atomically(path, b"png")
    assert str(error.value) == f"cannot write {str(path)!r}: the folder {str(path.parent)!r} does not exist"


def test_a_file_where_the_folder_should_be_is_named(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    path = tmp_path / "notes.txt" / "a.png"
    with pytest.raises(FileNotFoundError, match=r"the folder '.*notes\.txt' is not a folder"):
        write_atomically(path, b"png")
