"""Assertions shared by tests."""

from __future__ import annotations

from warroom.bootstrap import App
from warroom.incidents import store as st
from warroom.incidents.projection import fold


def assert_replay_matches(app: App, incident_id: int) -> None:
    """Replaying an incident's events must give exactly the stored snapshot."""
    with app.db.read() as conn:
        stored = st.load(conn, incident_id)
        events = st.events_of(conn, incident_id)
    assert stored is not None
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "timeline seqs must be gapless"
    assert fold(incident_id, events) == stored
