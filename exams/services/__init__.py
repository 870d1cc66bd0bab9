"""Every write to exams' tables goes through a function in this package."""
