"""Storage: atomic files, the instance lock and the store of feeds, articles, marks and notes.

Imports only the ground floor (models, errors, textutil); never core, content or the UI."""
