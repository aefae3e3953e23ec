"""The core: the services behind `reader.library.Library`, handed one `Session`.

Each module does one job (subscriptions, refresh over a pure merge decision, articles, marks
and notes, full text, reading, cache hygiene, views, export). The core imports content,
storage, fetch and parse, and the ground floor (models, errors, config); never the UI.
"""
