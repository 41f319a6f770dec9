"""Roster import (花名册导入): households, members, categories and plugin columns from Excel/CSV."""

#: Where the service takes a roster file (POST) and hands out the template (GET).
UPLOAD_PATH = "/import/roster"
TEMPLATE_PATH = "/import/roster/template"
