"""Roster import (花名册导入): households, members, categories and plugin columns from Excel/CSV."""
