"""Reads across every app: the dashboard home with its task tiles, and the global search.
Later issues add tiles (cases due today, unanswered mail, new problem reports) and search
providers here."""
