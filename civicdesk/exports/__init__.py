"""Taking data out: CSV and XLSX of any people list, vCard 4, and the full office export.
Every export is audited."""
