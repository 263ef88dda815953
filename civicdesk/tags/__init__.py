"""The governed issue vocabulary: hierarchical tags owned by admins, aliases, merges,
renames and deprecations with a change history. Records that carry tags live in other apps."""
