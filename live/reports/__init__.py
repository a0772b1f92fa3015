"""After the lesson: reports and item analysis (``report``), exports in every format
(``export``, ``workbook``), the printable HTML report (``report_html``), and roster and
question-set imports (``roster``, ``imports``). Pure functions of what the store read."""
