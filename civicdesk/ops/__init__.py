"""Running an installation: `civicdesk run` (all-in-one, what `make run` calls) and
`civicdesk serve` (the production web server, granian)."""
