from curator.core.diff import char_diff, word_diff


def test_char_diff_marks_changed_characters_on_both_sides():
    a, b = "the cat sat", "the bat sat!"
    spans_a, spans_b = char_diff(a, b)
    assert [a[i:j] for i, j in spans_a] == ["c"]
    assert [b[i:j] for i, j in spans_b] == ["b", "!"]
    assert char_diff("same", "same") == ([], [])


def test_word_diff_marks_words_missing_from_expected():
    actual = "the answer is 42 today"
    spans = word_diff("the answer is 41", actual)
    assert [actual[i:j] for i, j in spans] == ["42", "today"]
    assert word_diff("a b", "a b") == []
