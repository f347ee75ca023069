"""The compare of two snapshots (``applications.snapshots``): pure, checked over generated snapshots."""

from hypothesis import given
from hypothesis import strategies as st

from applications import snapshots

keys = st.text(min_size=1, max_size=8)
secrets = st.builds(lambda token, digest: snapshots.secret(token, digest), st.text(max_size=12),
                    st.sampled_from(["d1", "d2", "d3"]))
values = st.one_of(st.none(), st.text(max_size=12), st.integers(), st.booleans(), secrets)
groups = st.dictionaries(st.sampled_from(["General", "[security]", "[log]", "Server Info"]),
                         st.dictionaries(keys, values, max_size=6), max_size=4)


@given(groups)
def test_a_snapshot_does_not_differ_from_itself(snapshot):
    assert snapshots.compare(snapshot, snapshot) == []
    assert not snapshots.differs(snapshot, snapshot)


@given(groups, groups)
def test_the_differences_are_exactly_the_keys_whose_values_differ(left, right):
    shown = {(g.title, r.key) for g in snapshots.compare(left, right) for r in g.rows}
    expected = set()
    for title in {*left, *right}:
        a, b = left.get(title) or {}, right.get(title) or {}
        for key in {*a, *b}:
            old, new = a.get(key), b.get(key)
            if (old is None) != (new is None) or (old is not None and
                                                  snapshots.comparable(old) != snapshots.comparable(new)):
                expected.add((title, key))
    assert shown == expected


@given(groups, groups)
def test_show_all_lists_every_key_and_the_differences_are_the_same(left, right):
    every = snapshots.compare(left, right, show_all=True)
    assert {(g.title, r.key) for g in every for r in g.rows} == {
        (t, k) for t in {*left, *right} for k in {*(left.get(t) or {}), *(right.get(t) or {})}}
    assert [g.changed for g in every if g.changed] == [g.changed for g in snapshots.compare(left, right)]


@given(groups, groups)
def test_a_secret_is_never_shown_only_marked(left, right):
    for group in snapshots.compare(left, right, show_all=True):
        for row in group.rows:
            raw = ((left.get(group.title) or {}).get(row.key), (right.get(group.title) or {}).get(row.key))
            for value, shown in zip(raw, (row.old, row.new), strict=True):
                if snapshots.is_secret(value):
                    assert shown == snapshots.SECRET_SHOWN


def test_two_encryptions_of_one_secret_are_the_same_value():
    left = {"[security]": {"truststore-password": snapshots.secret("gAAAA-token-1", "digest-x")}}
    right = {"[security]": {"truststore-password": snapshots.secret("gAAAA-token-2", "digest-x")}}
    assert snapshots.compare(left, right) == []
    right["[security]"]["truststore-password"] = snapshots.secret("gAAAA-token-3", "digest-y")
    (group,) = snapshots.compare(left, right)
    assert group.rows[0].status == snapshots.CHANGED and group.rows[0].new == "(secret)"


def test_the_summary_is_one_line_that_names_the_first_changes():
    left = {"[security]": {"provider": "PEM", "trusted-ca": "/a"}, "Server Info": {"secure": "443, TLS"}}
    right = {"[security]": {"provider": "JKS", "trusted-ca": "/b"}, "Server Info": {}}
    assert snapshots.summary(snapshots.compare(left, right)) == (
        "3 changes: [security] provider, [security] trusted-ca, server info secure")
    assert snapshots.summary([]) == "no change"
