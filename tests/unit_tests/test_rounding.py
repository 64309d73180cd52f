import pytest

from langchain_gba.rounding import requested_decimals, rounded_for


@pytest.mark.parametrize(
    ("request_text", "decimals"),
    [
        ("The Atlantic is how many times the Arctic? to one decimal please", 1),
        ("roughly how many times bigger? (round to 1 decimal)", 1),
        ("Give two decimals.", 2),
        ("Answer with 3 decimal places.", 3),
        ("to the nearest tenth", 1),
        ("Round to the nearest foot.", 0),
        ("Nearest metre is fine.", 0),
        ("How old will I be, in whole years?", 0),
        ("Give it as a whole number.", 0),
        ("How many people live there, to the nearest million?", None),
        ("How much higher is Everest than K2?", None),
    ],
)
def test_the_decimals_a_request_asks_for(request_text, decimals):
    assert requested_decimals(request_text) == decimals


@pytest.mark.parametrize(
    ("result", "request_text", "rounded"),
    [
        ("6.05497866287", "to one decimal please", "6.1"),
        ("8.57142857143", "round to 1 decimal", "8.6"),
        ("3.7", "Give two decimals.", "3.70"),
        ("22857.7", "Round to the nearest foot.", "22858"),
        ("1.17483074472", "How many times as big?", "1.17"),  # as a person would
        ("446890.285714", "How many per km²?", "446890.29"),
        ("0.00000223768569595", "How many per m²?", "0.00000224"),
        ("2.5", "How many Jupiter years?", "2.5"),
        ("138250", "to one decimal", "138250"),  # whole numbers stay
        ("-777.15437", "How much lower?", "-777.15"),
        ("384.399", "The distance in km divided by 1,000?", "384.399"),  # not a long decimal
        ("1157.625", "How much will I have?", "1157.625"),
        ("inf", "How many?", "inf"),
        ("about 3", "How many?", "about 3"),
    ],
)
def test_a_result_is_rounded_as_asked_or_as_a_person_would(result, request_text, rounded):
    assert rounded_for(result, request_text) == rounded
