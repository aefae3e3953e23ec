"""Content: HTML in, Markdown out (the converter, its site rules) and the article extractor.

Pure functions of their input; never imports core, storage or the UI."""
