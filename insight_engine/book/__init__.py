"""The Book: validated tables rolled up to weeks, loaded from files, uploads or SQL, and kept on disk."""
