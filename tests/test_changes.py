"""archive.changes: change kinds and paragraph counts between two texts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.changes import Change, compare_texts

OLD = "First paragraph about the mill.\nSecond paragraph on cotton prices.\nThird one."


def test_the_same_text_after_normalisation_is_unchanged_text() -> None:
    assert compare_texts(OLD, OLD).kind == "unchanged-text"
    spaced = "  First  paragraph about the mill.\n\nSecond paragraph on cotton prices.\nThird one."
    assert compare_texts(OLD, spaced) == Change("unchanged-text")


def test_added_removed_and_edited_paragraphs_are_counted() -> None:
    new = (
        "First paragraph about the mill.\n"
        "Second paragraph on cotton prices, which rose.\n"  # edited
        "A new fourth paragraph with news.\n"  # added
    )  # "Third one." removed
    change = compare_texts(OLD, new)
    assert change.kind == "changed"
    assert (change.edited, change.added, change.removed) == (1, 1, 1)
    assert change.to_json() == {"kind": "changed", "added": 1, "removed": 1, "edited": 1}
    assert compare_texts(OLD, OLD + "\nMore.") == Change("changed", added=1)


def test_large_rewrites_are_counted_without_pairing_every_paragraph() -> None:
    old = "\n".join(f"old paragraph {i} " + "x" * i for i in range(60))
    new = "\n".join(f"completely different {i} " + "y" * i for i in range(80))
    change = compare_texts(old, new)
    assert change.kind == "changed"
    assert change.edited + change.removed == 60 and change.edited + change.added == 80


@settings(max_examples=150, deadline=None)
@given(st.text(), st.text())
def test_any_two_texts_compare_without_error(old: str, new: str) -> None:
    change = compare_texts(old, new)
    assert change.kind in ("changed", "unchanged-text")
    assert min(change.added, change.removed, change.edited) >= 0
    assert compare_texts(new, new).kind == "unchanged-text"
