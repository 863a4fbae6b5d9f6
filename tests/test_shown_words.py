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


def test_each_lead_in_of_several_poses_is_judged_by_the_request_and_its_pose():
    request = "show me three yoga poses"
    reply = "Here are three yoga poses: 1. Kundanchala Purnima: arms up <POSE> 2. Balancing: one leg <POSE>"
    # the small LLM names poses that do not exist; the list's number stays, the opening goes out as written
    assert rewrite(reply, ["Arms raised.", "Balancing on the left leg."], request) == (
        "Here are three yoga poses: 1. Arms raised. <POSE> 2. Balancing: Balancing on the left leg. <POSE>")
    # an opener's count is the engine's: it says no more in words than the request in digits
    assert rewrite("Here are three different ways: Kravin stance: arms <POSE>", ["Arms raised."], "give me 3 ways to wave") == (
        "Here are three different ways: Arms raised. <POSE>")
    # a name neither the request nor the pose's words say goes too, true or not
    assert rewrite("Two: Tree pose: leg <POSE>", ["Balancing on the left leg."], request) == "Two: Balancing on the left leg. <POSE>"
    assert rewrite("Sure. A squat: knees <POSE> A lunge: legs <POSE>", ["Knees bent.", "Left knee down."],
                   "can you show a squat and then a lunge") == "Sure. A squat: Knees bent. <POSE> A lunge: Left knee down. <POSE>"


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


def test_a_lead_in_that_says_what_neither_the_request_nor_the_pose_says_is_left_out():
    from posegpt.shown_words import lead_in_fits

    forward = "Arms stretched forward at shoulder height."
    request = "stretch your arms out in front of you"
    assert not lead_in_fits("Arms out to the sides", request, forward)  # "sides": said by neither
    assert lead_in_fits("Okay, like this", request, forward)  # claims nothing
    assert lead_in_fits("Kneeling", "and kneeling?", "Kneeling on both knees.")
    assert lead_in_fits("Here's a jumping jack", "do a jumping jack", "Feet apart, arms up in a V.")
    assert not lead_in_fits("Arms up", "lower your arms", "Arms hanging down.")  # a direction word is a claim
    assert rewrite("Arms out to the sides: arms out <POSE>", [forward], request) == f"{forward} <POSE>"
    assert rewrite("Okay, like this: arms <POSE>", [forward], request) == f"Okay, like this: {forward} <POSE>"
    assert rewrite("Arms out to the sides: arms out <POSE>", [forward]) == f"Arms out to the sides: {forward} <POSE>"  # several poses
    shown, reply = stream(["Arms out", " to the sides:", " arms", "<POSE>", " Done."], [forward])  # not judged
    assert shown.startswith("Arms out to the sides:")
    judged = ShownWords(True, request)
    assert judged.push("Arms out to the sides:") == ""  # held until the pose is known
    assert judged.pose(forward) == f"{forward} " and judged.shown == f"{forward} <POSE>"
    line = ShownWords(True, request)
    assert line.push("Note: no pose\n") == "Note: no pose\n"  # a line ends: shown as written
