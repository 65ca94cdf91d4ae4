"""Issue 12, the first hour: make run, the console, .env, the Socket Mode manifest, read-only feedback."""
