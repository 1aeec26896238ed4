//! ACLED files: CSV, zipped CSV and JSON exports of every vintage, and the deletion list.
