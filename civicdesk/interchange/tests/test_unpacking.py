"""Unpacking an uploaded ZIP: nothing outside its folder, nothing too big, Windows names."""

import io
import zipfile

import pytest

from civicdesk.interchange import services


def packed(members: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def test_members_named_with_backslashes_land_in_their_folders(tmp_path):
    services.unpack(packed({"export\\8A.out": b"8A", "export\\documents\\a.txt": b"x"}), tmp_path)

    assert (tmp_path / "export" / "8A.out").read_bytes() == b"8A"
    assert (tmp_path / "export" / "documents" / "a.txt").read_bytes() == b"x"


@pytest.mark.parametrize("name", ["../evil.out", "/etc/evil.out", "C:\\evil.out", "a/../../x"])
def test_a_member_outside_the_folder_is_refused(tmp_path, name):
    with pytest.raises(services.InterchangeRefused, match="outside its folder"):
        services.unpack(packed({name: b"1A"}), tmp_path / "in")

    assert not (tmp_path / "evil.out").exists()


def test_a_zip_unpacking_to_too_much_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "MAX_UNPACKED_BYTES", 1000)

    with pytest.raises(services.InterchangeRefused, match="more than an export can be"):
        services.unpack(packed({"8A.out": b"0" * 2000}), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    with pytest.raises(services.InterchangeRefused, match="not a ZIP file"):
        services.unpack(io.BytesIO(b"8A\tCOR\t1"), tmp_path)
