"""The governed issue vocabulary: hierarchical tags owned by admins, aliases, merges, renames
and deprecations with a change history. Records that carry tags live in other apps, which list
themselves in registry.py, write through services.py, read through queries.py and let staff
pick tags with forms.TagChoiceField (the type-ahead picker)."""
