"""How results read: one set of formats, tidy tables, sentences and charts (DataFrame ->
Altair chart). Nothing here simulates or writes files."""
