"""The Textual app. Only this package imports textual; it talks to the core via Library."""
