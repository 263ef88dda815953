"""The import pipeline: run.py streams a batch's file in chunks and checkpoints each one;
chunks.py maps, matches and writes a chunk; people.py holds a person as the rows change them;
places.py geocodes and districts addresses; text.py computes search text; bulk.py writes many
rows fast (COPY on PostgreSQL). services.py is the way in."""
