"""Districts and geocoding: district layers imported from GeoJSON, point-in-polygon
assignment, and pluggable geocoders. Knows nothing of people: constituents call it."""
