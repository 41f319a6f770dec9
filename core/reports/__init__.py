"""Excel workbooks people can open: the hardship roster and the assessment of an area.

Written with openpyxl. The same writers serve ``bangfu report ...`` (with a progress bar)
and the authenticated download route (``/reports/...``); both audit every export.
"""
