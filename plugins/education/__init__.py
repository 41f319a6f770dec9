"""Education assistance (教育救助): school enrolment, dropout, education aid."""
