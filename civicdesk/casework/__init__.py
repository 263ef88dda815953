"""Casework: getting one constituent's problem with an agency solved. Owns case types and
templates, cases and their history, ticklers, letters, privacy releases, documents, queues,
case reports and the constituent's status link. Reads constituents, tags and geo."""
