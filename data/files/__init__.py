"""Files in and out of the store: reading CSV and Parquet tables, mapping their columns,
parsing numbers and timestamps, checking and importing rows, exporting series."""
