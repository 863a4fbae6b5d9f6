"""posegpt.spelling: a request read in the words the pose bank and the poses' facts are said in."""

from posegpt.retrieval import bank_query
from posegpt.spelling import catalogue_words, mended, spelled


def test_a_misspelt_pose_word_is_mended_to_the_catalogue_word_one_edit_away():
    assert mended("rigth") == "right"  # two letters swapped
    assert mended("rase") == "raise"  # one left out
    assert mended("sholder") == "shoulder"
    assert mended("streching") == "stretching"


def test_known_and_short_words_are_left_as_typed():
    assert mended("right") == "right" and mended("cartwheel") == "cartwheel"  # catalogue words
    assert mended("grandma") == "grandma"  # a word the encoder knows whole
    assert mended("arn") == "arn"  # too short to tell which word was meant
    assert mended("zzzzqx") == "zzzzqx"  # nothing one edit away


def test_chat_shorthand_is_said_in_full_and_the_rest_kept():
    assert spelled("rase ur rigth arm pls") == "raise your right arm pls"
    assert spelled("squat w/ arms out in front") == "squat with arms out in front"
    assert spelled("on all 4s") == "on all fours"
    assert spelled("Sit like Rodin's thinker") == "Sit like Rodin's thinker"  # case and names kept
    assert spelled("utter") == "utter"  # shorthand is a whole token ("u" inside a word is not "you")


def test_the_catalogue_vocabulary_counts_pose_words():
    counts = catalogue_words()
    assert counts["raise"] > counts["rise"] and counts["right"] > 10


def test_the_pose_bank_reads_a_request_mended():
    query = bank_query([{"role": "user", "content": "rase ur rigth arm"}])
    assert query.text == "raise your right arm" and query.words == "raise your right arm" and not query.follow_up
