"""Bringing people in from files: the import wizard, background import jobs that checkpoint and
resume, failed rows kept with their reason, saved column mappings."""
