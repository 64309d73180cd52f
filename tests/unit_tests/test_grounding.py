"""The grounding check: numbers and actions an answer states, traced to the run's steps."""

from __future__ import annotations

import pytest

from langchain_gba.grounding import (
    Grounding,
    action_claims,
    check_answer,
    grounded_text,
    numbers_in,
    sentences,
    unacted_addresses,
    ungrounded_numbers,
    unsourced_addresses,
    unsourced_dates,
    unused_targets,
    worked_out_numbers,
)

EVEREST = [
    "How many metres higher is Mount Everest than Mount Kilimanjaro?",
    "Mount Everest's elevation is 8,848.86 m.",
    "Kilimanjaro rises 5,895 metres above sea level.",
    "8848.86 - 5895 = 2953.86",
]


def test_numbers_are_read_with_separators_scales_dates_and_times():
    found = numbers_in("8,848.86 m; 8.1 million; 17%; on 2026-12-24 at 12:30; H2O; 1990s; 19th")
    assert [n.value for n in found] == [
        8848.86,
        8_100_000,
        17,
        2026,
        12,
        24,
        12,
        30,
        1990,
        19,
    ]


def test_number_words_count_in_sources_only():
    assert [n.value for n in numbers_in("the eighth planet", words=True)] == [8]
    assert numbers_in("the eighth planet") == []


@pytest.mark.parametrize(
    "answer",
    [
        "Everest is 2,953.86 metres higher than Kilimanjaro.",
        "Everest is 2953.86 m higher (8,848.86 m against 5,895 m).",
        "About 2,953.9 metres, or roughly 2,954 m.",  # rounded to the decimals shown
        "Roughly 2,950 metres, nearly 3,000.",  # three and two significant digits
    ],
)
def test_supported_numbers(answer: str):
    assert ungrounded_numbers(answer, EVEREST) == []


@pytest.mark.parametrize(
    ("answer", "unsupported"),
    [
        ("Everest is 2953 metres higher.", ["2953"]),  # cut, not rounded
        ("Everest is 8,848.86 m high, 3,100 m more.", ["3,100"]),
        ("Everest is 2,000 m higher.", ["2,000"]),
        ("It is 1.5 times as high.", ["1.5"]),
    ],
)
def test_unsupported_numbers(answer: str, unsupported: list[str]):
    assert ungrounded_numbers(answer, EVEREST) == unsupported


def test_rounding_a_calculator_result_as_a_person_would():
    sources = ["70 / 1.75 ** 2 = 22.8571428571"]
    assert ungrounded_numbers("Your body mass index is 22.86 (about 23).", sources) == []
    assert ungrounded_numbers("Your body mass index is 22.5.", sources) == ["22.5"]


def test_numbers_from_the_request_and_free_numbers():
    request = "What is 17% of 2,340?"
    assert ungrounded_numbers("17% of 2340 is 397.8.", [request, "17 / 100 * 2340 = 397.8"]) == []
    assert ungrounded_numbers("17% of 2340 is 397.8.", [request]) == ["397.8"]
    assert ungrounded_numbers("It is one of 0 results, 1 of them.", []) == []


def test_years_and_a_count_of_years_need_a_step():
    sources = ["Counting from 2026, how many years ago did the Titanic sink?", "It sank in 1912."]
    assert ungrounded_numbers("It sank in 1912, 114 years ago.", sources) == ["114"]
    assert ungrounded_numbers("It sank 114 years ago.", [*sources, "2026 - 1912 = 114"]) == []


def test_scales_units_and_percentages():
    assert ungrounded_numbers("About 8.1 million people.", ["8,113,000 inhabitants"]) == []
    assert ungrounded_numbers("384,000 km or 384 thousand km", ["384,399 km"]) == []
    assert ungrounded_numbers("It is 17% of the total.", ["0.17"]) == []
    assert ungrounded_numbers("It is 0.17 of the total.", ["17%"]) == []
    assert ungrounded_numbers("Mars is the 4th planet.", ["Mars is the fourth planet."]) == []
    assert ungrounded_numbers("5km away", ["5 km"]) == []


def test_a_calculation_on_scaled_facts_may_keep_their_scale_word():
    sources = ["Kenya: 54.2 million.", "Tanzania: 67.5 million.", "54.2 + 67.5 = 121.7"]
    assert ungrounded_numbers("Together 121.7 million people.", sources) == []
    assert ungrounded_numbers("Together 131.7 million people.", sources) == ["131.7 million"]
    # rounded as a person would: the answer writer gave "122 million" for 121.7 (dev split)
    assert ungrounded_numbers("About 122 million people.", sources) == []
    assert ungrounded_numbers("About 123 million people.", sources) == ["123 million"]
    # no fact in millions: "121.7 million" is not the calculation's 121.7
    assert ungrounded_numbers("It is 121.7 million.", ["54.2 + 67.5 = 121.7"]) == ["121.7 million"]


def test_a_negative_difference_is_its_magnitude():
    assert ungrounded_numbers("The difference is -40 years.", ["1949 - 1989 = -40"]) == []


def test_sentences():
    assert sentences("It is 5.5 m high. Then it rains! Ok") == [
        "It is 5.5 m high.",
        "Then it rains!",
        "Ok",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "It took 120 years to build St. Peter's Basilica. It opened in 1626.",
            ["It took 120 years to build St. Peter's Basilica.", "It opened in 1626."],
        ),
        (
            "J. R. R. Tolkien wrote it. Then he left.",
            ["J. R. R. Tolkien wrote it.", "Then he left."],
        ),
        (
            "Mt. Fuji is 3,776 m high.\nIt is in Japan.",
            ["Mt. Fuji is 3,776 m high.", "It is in Japan."],
        ),
        ("He came in Sept. 1990. He left.", ["He came in Sept. 1990.", "He left."]),
    ],
)
def test_sentences_do_not_end_at_an_abbreviation_or_initial(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize(
    ("answer", "claimed"),
    [
        (
            "I added lunch with Ann to your calendar. Then, sent an email to ann@example.org.",
            ["send_email", "create_event"],
        ),
        ("The email to Ann was sent.", ["send_email"]),
        ("Lunch with Ann is booked in your calendar.", ["create_event"]),
        ("I could not send the email to Ann.", []),
        ("I will email Ann once you confirm.", []),
        ("The email has not been sent yet.", []),
        ("Ann's address is ann@example.org.", []),
    ],
)
def test_action_claims(answer: str, claimed: list[str]):
    assert action_claims(answer, ["send_email", "create_event"]) == [
        t for t in ["send_email", "create_event"] if t in claimed
    ]


def test_check_answer_counts_only_actions_not_done():
    answer = "Lunch is in your calendar, added for 12:30, and the email to Ann was sent."
    sources = ["Put lunch on 2026-12-24 at 12:30 in my calendar, then email Ann."]
    check = check_answer(
        answer, sources, action_tools=["create_event", "send_email"], done=["create_event"]
    )
    assert check == Grounding(numbers=[], actions=["send_email"])
    assert not check.ok
    assert check_answer("Done.", sources, action_tools=["send_email"]).ok


def test_a_claim_of_an_action_done_is_not_read_as_another():
    tools = ["create_event", "send_email"]
    assert action_claims("Sent 'Meeting' to bob@example.org.", tools, done=["send_email"]) == []
    assert action_claims("Sent 'Meeting' to bob@example.org.", ["create_event"]) == []
    answer = "Emailed Ann that lunch is booked."
    assert action_claims(answer, ["create_event"], done=["send_email"]) == []
    answer = "I emailed Ann. Lunch is booked in your calendar."
    assert action_claims(answer, ["create_event"], done=["send_email"]) == ["create_event"]


def test_grounded_text_keeps_the_year_of_a_date_whose_day_no_source_gives():
    sources = ["Emperor of the French from 18 May 1804 until his first abdication in 1814."]
    assert grounded_text("Napoleon abdicated on 15 May 1814.", sources) == (
        "Napoleon abdicated in 1814."
    )
    assert grounded_text("On May 15, 1814, he abdicated.", sources) == "In 1814, he abdicated."
    assert grounded_text("He was crowned on 18 May 1804.", sources) == (
        "He was crowned on 18 May 1804."
    )
    assert grounded_text("He was born on 15 August 1769.", sources) == ""  # the year is not given


def test_worked_out_numbers_are_quantities_no_source_gives_not_years_or_dates():
    sources = ["Shah Jahan was the fifth Mughal Emperor from 1628 until his deposition in 1658."]
    found = worked_out_numbers("He ruled for 30 years, from 1628, aged 36 in 1628.", sources)
    assert [n.text for n in found] == ["30", "36"]
    assert worked_out_numbers("He was born on 5 January 1592.", sources) == []
    assert worked_out_numbers("He was born in 1592.", sources) == []
    scaled = worked_out_numbers("About 1.5 million people.", sources)
    assert [n.text for n in scaled] == ["1.5 million"]
    assert worked_out_numbers("He ruled from 1628 to 1658.", sources) == []


def test_grounded_text_keeps_the_fact_and_drops_the_sum():
    sources = ["RMS Titanic sank on 15 April 1912 in the North Atlantic."]
    text = "The Titanic sank in 1912, which was 114 years before 2026. It was British."
    assert grounded_text(text, sources) == "The Titanic sank in 1912. It was British."
    assert grounded_text("It was 114 years ago.", sources) == ""
    assert grounded_text("It sank in 1912.", sources) == "It sank in 1912."


def test_a_half_is_rounded_up_or_to_even():
    sources = ["1000 * (1 + 0.05)**3 = 1157.625"]
    assert ungrounded_numbers("You will have $1,157.63 after 3 years.", sources) == []
    assert ungrounded_numbers("You will have $1,157.62 after 3 years.", sources) == []
    assert ungrounded_numbers("You will have $1,157.64 after 3 years.", sources) == ["1,157.64"]


def test_names_in_an_answer():
    from langchain_gba.grounding import names_in, ungrounded_names

    assert names_in("Leonardo da Vinci painted the Mona Lisa.") == [
        "Leonardo da Vinci",
        "Mona Lisa",
    ]
    assert names_in("The word is Katze. Hello! How are you?") == []
    request = "Who designed the Statue of Liberty?"
    answer = "Jean-Louis-Baptiste-Camille Corot designed the Statue of Liberty."
    assert ungrounded_names(answer, [request]) == ["Jean-Louis-Baptiste-Camille Corot"]
    assert (
        ungrounded_names(answer, [request, "Designed by Jean-Louis-Baptiste-Camille Corot."]) == []
    )
    assert check_answer(answer, [request]).ok  # names are checked only when asked
    assert check_answer(answer, [request], names=True).names == [
        "Jean-Louis-Baptiste-Camille Corot"
    ]


def test_an_answer_from_memory_may_name_no_place_the_request_does_not():
    from langchain_gba.grounding import names_in

    request = "In which city was Galileo Galilei born?"
    answer = "Galileo Galilei was born in Florence, Italy."
    assert check_answer(answer, [request], names=True).names == ["Florence", "Italy"]
    assert check_answer(answer, [request]).ok  # after a step, single words are left alone
    assert names_in("The word is Katze.") == []
    assert names_in("The word is Katze.", single=True) == ["Katze"]
    quoted = "In German, 'thank you' is said as 'Danke'."
    assert check_answer(quoted, ["How do you say 'thank you' in German?"], names=True).ok
    chat = "Good evening! I'm doing well, thank you. How about yourself?"
    assert check_answer(chat, ["Good evening! How is it going?"], names=True).ok


@pytest.mark.parametrize(
    ("answer", "sources", "mislabelled"),
    [
        # the unit no step gives: the 1.5B answer writer relabelled metres as kilometres
        (
            "It travels 299,792,458 kilometres per second.",
            ["299,792,458 metres per second"],
            ["299,792,458"],
        ),
        ("It is 4,404 km long.", ["It is 7,088 km (4,404 mi) long."], ["4,404"]),
        ("It covers 756,102 sq mi.", ["It covers 756,102 km²."], ["756,102"]),
        ("It was 37 °F.", ["It was 37 degrees Celsius."], ["37"]),
        # the same unit written another way, a number with no unit, a calculator's result
        ("It is 7,088 kilometers long.", ["It is 7,088 km (4,404 mi) long."], []),
        ("It covers 756,102 square kilometres.", ["It covers 756,102 km2."], []),
        ("It is 8,849 m high.", ["It is 8,848.86 metres high."], []),
        ("It is 2064 miles longer.", ["4404 - 2340 = 2064"], []),
        ("It is 2064 miles longer.", ["It is 2,064 km long.", "4404 - 2340 = 2064"], []),
        ("There are 472 bridges.", ["Venice has 472 km of canals."], []),  # no unit answered
        ("It was 37 °C.", ["98.6 °F is 37 degrees Celsius."], []),
    ],
)
def test_a_number_given_in_another_unit_is_mislabelled(answer, sources, mislabelled) -> None:  # type: ignore[no-untyped-def]
    from langchain_gba.grounding import check_answer, mislabelled_numbers

    assert mislabelled_numbers(answer, sources) == mislabelled
    assert check_answer(answer, sources).numbers == mislabelled
    assert check_answer(answer, sources, units=False).numbers == []


_VOLGA = [
    "If you laid the Volga next to the Danube, how many kilometres longer would the Volga be?",
    "The Volga is 3,531 kilometers long.",
    "Originating in Germany, the Danube flows southeast for 2,850 km (1,770 mi).",
]


@pytest.mark.parametrize(
    ("answer", "comparing", "unsupported"),
    [
        # a found length given as the difference: no step compared
        ("The Volga is 3,531 kilometers long, so it is 3,531 kilometers longer.", [], ["3,531"]),
        ("The Volga is 681 kilometres longer than the Danube.", ["3531 - 2850 = 681"], []),
        ("Antarctica is about 1.54 times larger.", ["14200000 / 9200000 = 1.54347826087"], []),
        ("It is 2 times as long.", [], ["2"]),
        ("It is 2 times the Nile's length.", ["How long is the Nile, times 2?"], []),  # asked
        ("The Volga is 3,531 kilometers long.", [], []),  # a length, no comparison
        ("It flows 2,850 km, longer than the Rhine.", [], []),  # the comparison is not the number
        ("It is 1 time longer.", [], []),  # free numbers
    ],
)
def test_a_number_given_as_a_comparison_comes_from_a_calculation(
    answer, comparing, unsupported
) -> None:
    from langchain_gba.grounding import compared_numbers

    assert compared_numbers(answer, _VOLGA, comparing) == unsupported


def test_a_result_that_compares_supports_the_same_comparison() -> None:
    from langchain_gba.grounding import check_answer, compared_numbers

    said = ["Mont Blanc is 1,031.06 m higher than Mount Fuji."]
    assert compared_numbers("Mont Blanc is 1,031.06 m higher than Fuji.", said, []) == []
    claim = "The Volga would be 3,531 kilometers longer."
    assert check_answer(claim, _VOLGA, comparing=[]).numbers == ["3,531"]
    assert check_answer(claim, _VOLGA).numbers == []  # not checked without ``comparing``


@pytest.mark.parametrize(
    ("arguments", "unsourced"),
    [
        ({"recipient": "landlord@example.com", "body": "Broken."}, ["landlord@example.com"]),
        ({"recipient": "M.Okafor@Example.net"}, []),  # case does not matter
        ({"recipients": ["m.okafor@example.net", "x@y.org"]}, ["x@y.org"]),
        ({"body": "Write to x@y.org or x@y.org."}, ["x@y.org"]),  # once
        ({"title": "Lunch", "date": "2026-12-24"}, []),  # no address
    ],
)
def test_addresses_that_no_source_gives(arguments, unsourced):
    sources = ["Tell my landlord.", "My landlord is Mr Okafor, m.okafor@example.net."]
    assert unsourced_addresses(arguments, sources) == unsourced


@pytest.mark.parametrize(
    ("arguments", "sources", "unsourced"),
    [
        (
            {"date": "2026-05-10", "time": "14:00"},
            ["Add my flight to Lisbon."],
            ["2026-05-10", "14:00"],
        ),
        (
            {"date": "2026-07-18", "time": "07:45"},
            ["Add my flight to Lisbon.", "The flight to Lisbon leaves on 2026-07-18 at 07:45."],
            [],
        ),
        (
            {"date": "2026-10-08", "time": "19:00"},
            ["Parents evening on October 8th 2026 at 7 pm."],
            [],
        ),
        ({"date": "2027-10-08"}, ["Parents evening on October 8th 2026."], ["2027-10-08"]),
        ({"date": "2026-03-14"}, ["A haircut on March 14th, please."], []),  # no year given
        ({"date": "2026-12-07", "time": "09:00"}, ["Lunch tomorrow at 9."], []),  # relative
        ({"title": "Lunch at 12:30", "duration_minutes": 60}, ["Lunch."], []),  # not a time value
        ({"when": "2026-05-10T14:00"}, ["On 10 May 2026."], ["2026-05-10T14:00"]),
    ],
)
def test_dates_and_times_that_no_source_gives(arguments, sources, unsourced):
    assert unsourced_dates(arguments, sources) == unsourced


def test_targets_the_request_writes_that_no_action_used():
    oslo = (
        "Put 'Flight to Oslo' on 2026-08-01 at 06:40 and 'Return flight' on August 9th 2026 "
        "at 18:20 in my calendar."
    )
    first = {"title": "Flight to Oslo", "date": "2026-08-01", "time": "06:40"}
    assert unused_targets(oslo, [first]) == ["August 9th 2026"]
    assert unused_targets(oslo, [first, {**first, "date": "2026-08-09"}]) == []
    two = "Email tom@example.com and Jane@Example.com that the report is ready."
    tom = {"recipient": "tom@example.com", "subject": "Report", "body": "Ready."}
    assert unused_targets(two, [tom]) == ["Jane@Example.com"]
    assert unused_targets(two, [tom, {**tom, "recipient": "jane@example.com"}]) == []
    moved = "Email bob@example.org that the meeting moved to 2026-01-02."
    said = {"recipient": "bob@example.org", "subject": "Moved", "body": "Now on January 2nd."}
    assert unused_targets(moved, [said]) == []  # the date is in the body, in other words
    assert unused_targets(moved, []) == ["bob@example.org", "2026-01-02"]


def test_a_verb_that_names_its_object_claims_the_action():
    tools = ["create_event", "send_email"]
    assert action_claims("The haircut is scheduled for March 14th, 2026.", tools) == [
        "create_event"
    ]
    assert action_claims("The haircut will be scheduled once you confirm.", tools) == []


def test_addresses_an_answer_says_an_action_went_to():
    tom = {"recipient": "tom@example.com", "subject": "Report", "body": "Ready."}
    answer = "Sent 'Report' to tom@example.com and jane@example.com."
    assert unacted_addresses(answer, [tom]) == ["jane@example.com"]
    assert unacted_addresses(answer, [tom, {**tom, "recipient": "Jane@Example.com"}]) == []
    assert unacted_addresses("I did not email jane@example.com.", [tom]) == []
    assert unacted_addresses("Write to jane@example.com for the report.", [tom]) == []
    check = check_answer(answer, [answer], action_tools=["send_email"], done=["send_email"])
    assert check.ok  # not checked without the arguments
    check = check_answer(
        answer, [answer], action_tools=["send_email"], done=["send_email"], done_arguments=[tom]
    )
    assert check.addresses == ["jane@example.com"] and not check.ok


def test_an_address_named_in_a_body_is_not_used_and_a_reply_date_must_be_an_argument():
    request = "Email jen@example.net that the rent is going up, same to sam.k@example.net."
    jen = {
        "recipient": "jen@example.net",
        "body": "The rent is going up, same to sam.k@example.net.",
    }
    assert unused_targets(request, [jen]) == ["sam.k@example.net"]
    both = {**jen, "recipient": "jen@example.net, sam.k@example.net"}
    assert unused_targets(request, [both]) == []
    reply = "The new practice is on 2026-05-09 at 10:00."
    mail = {"recipient": "coach@example.net", "body": "Practice is on 2026-05-09."}
    assert unused_targets(reply, [mail]) == []
    assert unused_targets(reply, [mail], mentioned=False) == ["2026-05-09"]
    event = {"title": "Practice", "date": "2026-05-09", "time": "10:00"}
    assert unused_targets(reply, [mail, event], mentioned=False) == []
