from posegpt.shown_words import ShownWords, rewrite


def stream(pieces, words, active=True):
    """Feed text pieces ("<POSE>" as its own piece) through ShownWords; (shown text, reply)."""
    filter_ = ShownWords(active)
    out, poses = [], iter(words)
    for piece in pieces:
        out.append(filter_.pose(next(poses)) + "<POSE>" if piece == "<POSE>" else filter_.push(piece))
    out.append(filter_.finish())
    return "".join(out), filter_.shown


def test_the_words_after_the_last_colon_become_the_shown_poses_words():
    pieces = ["Sure", ": Both arms", " down by the sides.", " ", "<POSE>", " Anything else?"]
    shown, reply = stream(pieces, ["Both arms raised above the head."])
    assert shown == reply == "Sure: Both arms raised above the head. <POSE> Anything else?"


def test_each_pose_of_a_list_gets_its_own_words_and_lead_ins_stay():
    reply = "Three: 1. Tree: standing on one leg <POSE> 2. Chair: arms up <POSE>"
    assert rewrite(reply, ["Balancing on the left leg.", "Knees bent, arms raised."]) == (
        "Three: 1. Tree: Balancing on the left leg. <POSE> 2. Chair: Knees bent, arms raised. <POSE>")


def test_text_without_a_pose_is_shown_as_written_line_by_line():
    assert stream(["Hello! How", " are you?"], [])[0] == "Hello! How are you?"
    held = ShownWords(True)
    assert held.push("Note") == "" and held.push(": one") == "Note:"  # a lead-in goes out at its colon
    assert held.push(" thing\nnext") == " one thing\n"  # a line goes out when it ends
    assert held.finish() == "next"
    assert rewrite("Like this: arms down <POSE>", [None]) == "Like this: arms down <POSE>"  # the head's pose: its words
    assert stream(["Like this: arms", " down <POSE>"], [], active=False)[1] == "Like this: arms down <POSE>"


def test_words_without_a_lead_in_and_after_a_pose_are_replaced_too():
    assert rewrite("Standing upright. <POSE>", ["Arms up."]) == "Arms up. <POSE>"
    assert rewrite("One <POSE> and two <POSE> done", ["A.", "B."]) == "A. <POSE> B. <POSE> done"
