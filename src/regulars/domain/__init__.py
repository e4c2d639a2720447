"""The rules of the business, in plain Python: no SQL, no HTTP, no files, no clock."""
