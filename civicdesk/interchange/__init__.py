"""The US House CMS Data Interchange format: import and export of the record types as
tab-separated files, with a staging table for record types whose module does not exist yet."""
