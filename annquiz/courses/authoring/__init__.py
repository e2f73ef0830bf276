"""Editing a question on the web: its content as Markdown + config + answer table
(``content``), the table test every edit must pass (``table_test``), storing an edit as a
version (``services``), the instructor's form (``forms``) and writing web edits back to the
course files (``export``). docs/questions.md, "Editing questions on the web"."""
