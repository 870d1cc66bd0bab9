import pytest

from candidates import idnumbers

VALID = "11010519491231002X"  # the public sample resident ID, check character X


@pytest.mark.parametrize(
    "raw",
    ["11010519491231002X", "11010519491231002x", " 110105 19491231 002x "],
)
def test_it_accepts_a_valid_resident_id_and_uppercases_x(raw):
    assert idnumbers.normalize(raw) == VALID


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("110105194912310021", "校验位"),
        ("11010519491231002", "18 位"),
        ("1101051949123100211", "18 位"),
        ("1101051949123100AX", "前 17 位"),
        ("110105194902300025", "出生日期"),
        ("", "请输入"),
    ],
)
def test_it_refuses_an_invalid_resident_id_with_a_clear_message(raw, fragment):
    with pytest.raises(idnumbers.InvalidIdNumber) as error:
        idnumbers.normalize(raw)
    assert fragment in error.value.message


def test_the_check_character_follows_iso_7064_mod_11_2():
    assert idnumbers.resident_check_char("11010519491231002") == "X"
    assert idnumbers.resident_check_char("44052418800101001") == "4"


@pytest.mark.parametrize(
    ("doc", "raw", "expected"),
    [
        (idnumbers.PASSPORT, "e1234 5678", "E12345678"),
        (idnumbers.HK_MACAU_PERMIT, "h12345678", "H12345678"),
        (idnumbers.TAIWAN_PERMIT, "12345678", "12345678"),
    ],
)
def test_other_documents_are_uppercased_without_a_checksum(doc, raw, expected):
    assert idnumbers.normalize(raw, doc) == expected


def test_other_documents_refuse_symbols():
    with pytest.raises(idnumbers.InvalidIdNumber):
        idnumbers.normalize("E1234<script>", idnumbers.PASSPORT)


def test_login_checks_the_checksum_of_resident_looking_numbers_only():
    assert idnumbers.normalize_for_login("11010519491231002x") == VALID
    assert idnumbers.normalize_for_login("e12345678") == "E12345678"
    with pytest.raises(idnumbers.InvalidIdNumber):
        idnumbers.normalize_for_login("110105194912310021")


@pytest.mark.parametrize("raw", [None, 123, ["x"]])
def test_non_text_is_refused_not_crashed(raw):
    with pytest.raises(idnumbers.InvalidIdNumber):
        idnumbers.normalize_for_login(raw)


def test_mask_keeps_only_the_ends():
    assert idnumbers.mask(VALID) == "110***********002X"
