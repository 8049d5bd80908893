"""The netmon agent: runs exporters on a schedule, spools and ships their reports (issue 3)."""
