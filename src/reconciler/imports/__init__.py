"""Data import runners: move rows from a source (a database query or a file path) to files."""
