"""Reading and writing tables of people: CSV, TSV, pipe-delimited and XLSX files, their shape
(encoding, delimiter, header) detected; column mappings and the voter-file presets; cells made
safe for spreadsheets. Pure functions, no models: imports, duplicates and exports share it."""
