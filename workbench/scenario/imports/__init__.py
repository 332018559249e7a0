"""Scenarios from where the plan already lives: a Jira CSV export (`jira.import_jira`) or a
planning spreadsheet (`sheet.import_sheet`). Each writes a scenario `workbench run` accepts as
is, and an import report with one line for everything it could not map; a TPM's own edits live
in a scenario that `extends` the imported one, so a weekly re-import replaces only this part.
"""
