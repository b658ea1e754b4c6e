"""Coverage tracks: CPM-normalised bigWigs from fragments or BAMs."""
