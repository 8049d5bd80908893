"""Real peer programs for the tests: started on loopback, stopped by their process id."""
