"""Long work in the background with a visible progress bar (`Job` rows), and periodic work
declared in code and enqueued by the worker's scheduler under a database lease."""
